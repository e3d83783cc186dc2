/**
 * The inspector page logs in to a node started with `--admin-token`, in a real browser
 * (Debian's Chromium, driven by playwright-core): without the token it asks for it; with
 * `#token=…` or the login field it reads the node and opens its feed, and the token does
 * not stay in the address bar.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import t from 'tap';
import { dumpOnFailure, startNode } from './helpers/node-process.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOWN_MS = 30_000;
const TOKEN = 'page-token-42';

/** Waits until the header chip of `node` says its feed is open. */
async function feedOpen(page: Page, node: string): Promise<void> {
  await page.locator(`[data-testid="header-node-${node}"].up`).waitFor({ timeout: SHOWN_MS });
}

t.test('the inspector page asks for the admin token, then reads the node with it', async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (apt-get install -y chromium)`);
  const node = await startNode(t, { id: 'solo', adminToken: TOKEN });
  dumpOnFailure(t, () => [node]);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  t.teardown(() => browser.close());
  const pageErrors: string[] = [];

  const typed = await browser.newPage();
  typed.on('pageerror', (err) => pageErrors.push(err.message));
  await typed.goto(`${node.url}/`);
  await typed.locator('[data-testid="login"]').waitFor({ timeout: SHOWN_MS });
  t.pass('without a token the page shows the login field');
  await typed.locator('[data-testid="login-token"]').fill('not-the-token');
  await typed.locator('[data-testid="login-submit"]').click();
  await typed.locator('[data-testid="login"]', { hasText: 'not the node\'s' }).waitFor({ timeout: SHOWN_MS });
  t.pass('a wrong token is refused, and the page says so');
  await typed.locator('[data-testid="login-token"]').fill(TOKEN);
  await typed.locator('[data-testid="login-submit"]').click();
  await feedOpen(typed, 'solo');
  t.pass('with the token typed in, the page opens the node\'s feed');

  const linked = await browser.newPage();
  linked.on('pageerror', (err) => pageErrors.push(err.message));
  const sockets: string[] = [];
  linked.on('websocket', (ws) => sockets.push(ws.url()));
  await linked.goto(`${node.url}/#token=${TOKEN}`);
  await feedOpen(linked, 'solo');
  t.pass('opened as #token=…, the page opens the node\'s feed');
  t.notMatch(linked.url(), /token/, 'the token is gone from the address bar');
  t.ok(sockets.some((url) => new URL(url).searchParams.get('access_token') === TOKEN), 'the feed carries the token as access_token');
  t.same(pageErrors, [], 'no script error on the page');
});
