/**
 * The inspector page in a real browser (Debian's Chromium, driven by playwright-core)
 * against a running 3-node orders cluster started with `--chaos`: the page draws the
 * nodes and their links, a cut made in the page holds events in outboxes while orders are
 * placed on both sides, healing drains them, the order's trace first names what waits and
 * then shows it delivered, and the order's statechart highlights `completed`. Every
 * request the page makes goes to 127.0.0.1. Screenshots go to `.tap/inspector/`.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import t from 'tap';
import { REPO_ROOT } from './helpers/node-process.js';
import { startOrdersCluster } from './helpers/orders-cluster.js';
import { waitFor } from './helpers/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, '.tap', 'inspector');
/** How long the page may take to show something it is told over a feed. */
const SHOWN_MS = 30_000;

t.test('the inspector page shows a partition and its healing in a real browser', async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (apt-get install -y chromium)`);
  await mkdir(SHOTS, { recursive: true });
  const { n1, n3 } = await startOrdersCluster(t, { extraArgs: ['--chaos'] });

  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  t.teardown(() => browser.close());
  const page: Page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const requested: string[] = [];
  page.on('request', (req) => requested.push(req.url()));
  page.on('websocket', (ws) => requested.push(ws.url()));
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  const byId = (id: string) => page.locator(`[data-testid="${id}"]`);
  const textOf = async (id: string): Promise<string> => ((await byId(id).count()) === 0 ? '' : ((await byId(id).first().textContent()) ?? ''));
  const number = async (id: string): Promise<number> => Number((await textOf(id)).replace(/[^\d]/g, '') || '0');

  await page.goto(`${n1.url}/`);
  for (const id of ['n1', 'n2', 'n3']) {
    await byId(`topology-node-${id}`).waitFor({ timeout: SHOWN_MS });
    t.match(await textOf(`topology-node-${id}`), id, `the topology draws ${id}`);
  }
  for (const [a, b] of [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']]) {
    await waitFor(() => textOf(`link-state-${a}-${b}`), { until: (s) => s === 'up', timeout: SHOWN_MS, message: `link ${a}–${b} shown up` });
    t.equal(await byId(`topology-link-${a}-${b}`).getAttribute('data-state'), 'up', `the ${a}–${b} stroke is drawn up`);
  }
  await page.screenshot({ path: join(SHOTS, '1-cluster.png'), fullPage: true });

  // n3 cuts itself off from n1 and n2 in the page: with one link cut, the other two would relay around it.
  for (const peer of ['n1', 'n2']) {
    await waitFor(() => byId(`link-cut-n3-${peer}`).isEnabled(), { until: Boolean, timeout: SHOWN_MS, message: `cut button n3–${peer}` });
    await byId(`link-cut-n3-${peer}`).click();
    await waitFor(() => textOf(`link-state-n3-${peer}`), { until: (s) => s === 'cut', timeout: SHOWN_MS, message: `link n3–${peer} shown cut` });
  }

  const left = { orderId: 'o-left', sku: 'widget', qty: 1, amount: 40 };
  const right = { orderId: 'o-right', sku: 'widget', qty: 1, amount: 40 };
  await n1.admin.publish('OrderPlaced', left, left.orderId);
  await n3.admin.publish('OrderPlaced', right, right.orderId);
  await waitFor(() => number('link-outbox-n3-n1'), { until: (n) => n > 0, timeout: SHOWN_MS, message: "n3's outbox for n1 grows in the page" });
  await waitFor(() => number('link-outbox-n2-n3'), { until: (n) => n > 0, timeout: SHOWN_MS, message: "n2's outbox for n3 grows in the page" });
  await page.screenshot({ path: join(SHOTS, '2-partitioned.png'), fullPage: true });

  await page.goto(`${n1.url}/#/trace/${left.orderId}`);
  const pendingText = () => page.locator('[data-testid="workflow-pending"] [data-testid="pending-text"]').allTextContents();
  const waiting = await waitFor(pendingText, {
    until: (lines) => lines.some((line) => /PaymentCaptured.*outbox.*n3/.test(line)),
    timeout: SHOWN_MS,
    message: 'the trace says PaymentCaptured waits in an outbox for n3',
  });
  t.ok(waiting.some((line) => /cut/.test(line)), `the trace says the link is cut: ${waiting.join(' | ')}`);
  await page.screenshot({ path: join(SHOTS, '3-trace-waiting.png'), fullPage: true });

  await page.goto(`${n1.url}/#/cluster`);
  for (const peer of ['n1', 'n2']) {
    await waitFor(() => byId(`link-heal-n3-${peer}`).isEnabled(), { until: Boolean, timeout: SHOWN_MS, message: `heal button n3–${peer}` });
    await byId(`link-heal-n3-${peer}`).click();
  }
  for (const [a, b] of [['n1', 'n3'], ['n2', 'n3']]) {
    await waitFor(() => textOf(`link-state-${a}-${b}`), { until: (s) => s === 'up', timeout: SHOWN_MS, message: `link ${a}–${b} shown up again` });
  }
  for (const id of ['n3-n1', 'n1-n3', 'n2-n3', 'n3-n2']) {
    await waitFor(() => number(`link-outbox-${id}`), { until: (n) => n === 0, timeout: SHOWN_MS, message: `outbox ${id} drains in the page` });
  }

  await page.goto(`${n1.url}/#/trace/${left.orderId}`);
  await byId('workflow-pending-none').waitFor({ timeout: SHOWN_MS });
  const events = await page.locator('[data-testid^="workflow-event-"]').allTextContents();
  for (const type of ['OrderPlaced', 'OrderCreated', 'InventoryReserved', 'PaymentCaptured', 'OrderShipped']) {
    t.ok(events.some((e) => e.includes(type)), `the trace shows ${type} delivered`);
  }
  await page.screenshot({ path: join(SHOTS, '4-trace-delivered.png'), fullPage: true });

  await page.goto(`${n1.url}/#/actors`);
  for (const order of [left, right]) {
    const completed = byId(`chart-n1-order-${order.orderId}`).locator('[data-testid="chart-state-completed"]');
    await waitFor(() => completed.getAttribute('data-active'), { until: (a) => a === 'true', timeout: SHOWN_MS, message: `${order.orderId}'s chart highlights completed` });
    t.match(await completed.textContent(), 'completed', 'the highlighted state is named');
  }
  await page.screenshot({ path: join(SHOTS, '5-actors.png'), fullPage: true });

  await page.goto(`${n1.url}/#/space-time`);
  for (const lane of ['n1', 'n2', 'n3']) await byId(`st-lane-${lane}`).waitFor({ timeout: SHOWN_MS });
  const shipped = page.locator('[data-testid^="st-event-"][data-type="OrderShipped"]');
  await waitFor(() => shipped.count(), { until: (n) => n === 2, timeout: SHOWN_MS, message: 'both shipments drawn' });
  t.equal(await shipped.first().getAttribute('data-landed'), 'true', 'a shipment drawn as landed everywhere');
  t.ok((await page.locator('[data-testid^="st-arrow-"]').count()) > 0, 'causal arrows are drawn');
  const overflowing = await page.locator('svg.space-time').evaluate(function labelsPastTheirLane(svg) {
    const lanes = [...svg.querySelectorAll('line.lane')].map((lane) => Number(lane.getAttribute('x1')));
    const svgLeft = svg.getBoundingClientRect().left;
    const width = Number(svg.getAttribute('width'));
    return [...svg.querySelectorAll('text.event-label')].filter((label) => {
      const box = label.getBoundingClientRect();
      const start = box.left - svgLeft;
      const next = lanes.find((x) => x > start) ?? width;
      return start + box.width > next;
    }).map((label) => label.textContent);
  });
  t.same(overflowing, [], 'every event label ends before the next lane and inside the diagram');
  await page.screenshot({ path: join(SHOTS, '6-space-time.png'), fullPage: true });

  const foreign = requested.filter((url) => new URL(url).hostname !== '127.0.0.1');
  t.same(foreign, [], 'every request of the page went to 127.0.0.1');
  t.ok(requested.some((url) => url.endsWith('/feed')), 'the page opened feeds');
  t.same(pageErrors, [], 'the page threw nothing');
});
