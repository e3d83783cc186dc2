/**
 * The edge-sync demo, run by `troupe cluster --app examples/edge-sync` once every node is
 * up. Act 1: every device publishes readings; the gateway aggregates them and alerts the
 * devices that crossed the threshold; each node's log and clock are shown, so that a
 * device is seen to hold its own readings and its own alerts, and to count (not hold) the
 * rest. Act 2: one device is cut off from the gateway, keeps publishing a backlog of
 * 100,000 readings, and catches up when the link heals, with each side's progress (events
 * left, rate, time to go, as `troupe status` shows it) printed every second.
 */
import { getJson, pause, post } from '../orders/demo-client.js';
import { statusClock, type ClockOfStatus } from '../../inspector/status-clock.js';
import { outboxText } from '../../nodes/status-command.js';
import type { DemoContext } from '../../runtime/service.js';

/** Readings each device publishes in act 1, and the offline backlog of act 2. */
const READINGS = 20;
const BACKLOG = 100_000;
/** Backlog readings per `POST /events` (it takes up to 10,000 at once). */
const BACKLOG_BATCH = 10_000;

interface Status extends ClockOfStatus {
  readonly log: { readonly size: number };
  readonly peers: readonly { readonly id: string; readonly connected: boolean; readonly outbox: number; readonly catchUp?: { readonly rate: number; readonly etaMs: number } }[];
  readonly interest?: { readonly want: readonly string[]; readonly skipped: number };
}

/** A reading between 0 and 100, over the threshold (80) now and then; the same every run. */
function readingValue(device: string, i: number): number {
  let h = 2166136261;
  for (const c of `${device}/${i}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0) % 101;
}

async function publishReading(url: string, device: string, i: number, ctx: DemoContext): Promise<boolean> {
  return publishEvents(url, { type: 'reading', data: { device, value: readingValue(device, i) } }, ctx);
}

/** Readings `from` … `from + count - 1` of `device` in one `POST /events`, committed together. */
async function publishReadings(url: string, device: string, from: number, count: number, ctx: DemoContext): Promise<boolean> {
  const batch = Array.from({ length: count }, (_, j) => ({ type: 'reading', data: { device, value: readingValue(device, from + j) } }));
  return publishEvents(url, batch, ctx);
}

async function publishEvents(url: string, body: unknown, ctx: DemoContext): Promise<boolean> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (ctx.adminToken !== undefined) headers.authorization = `Bearer ${ctx.adminToken}`;
  try {
    const res = await fetch(`${url}/events`, { method: 'POST', headers, body: JSON.stringify(body), signal: ctx.signal });
    await res.arrayBuffer();
    return res.status === 201;
  } catch {
    return false;
  }
}

/** Events a node's clock counts, read whole (`/status` leaves retired origins out of `vc`). */
function sum(s: Status): number {
  return Object.values(statusClock(s)).reduce((a, b) => a + b, 0);
}

async function showNodes(ctx: DemoContext): Promise<void> {
  for (const node of ctx.nodes) {
    const s = await getJson<Status>(node.url, '/status', ctx);
    if (s === undefined) continue;
    const want = s.interest === undefined ? '*' : s.interest.want.join(' ') || '(own events only)';
    ctx.log(`${node.id}: holds ${s.log.size} of the ${sum(s)} events its clock counts; wants ${want}`);
  }
}

/**
 * Waits until every device's clock counts what the gateway's does, or the cluster stops.
 * With `watch`, prints every second how each of those two nodes' outbox to the other drains.
 */
async function settle(ctx: DemoContext, gateway: string, watch?: readonly [string, string]): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    const all = await Promise.all(ctx.nodes.map((n) => getJson<Status>(n.url, '/status', ctx)));
    const top = all.find((_, j) => ctx.nodes[j].id === gateway);
    if (top !== undefined && all.every((s) => s !== undefined && sum(s) === sum(top))) return true;
    if (watch !== undefined && i % 5 === 4) showCatchUp(ctx, all, watch);
    if (!(await pause(200, ctx.signal))) return false;
  }
  return false;
}

/** One line of catch-up progress between `a` and `b`: each side's outbox to the other, as `troupe status` prints it. */
function showCatchUp(ctx: DemoContext, all: readonly (Status | undefined)[], [a, b]: readonly [string, string]): void {
  const outbox = (from: string, to: string): string => {
    const peer = all[ctx.nodes.findIndex((n) => n.id === from)]?.peers.find((p) => p.id === to);
    return peer === undefined ? '?' : outboxText(peer);
  };
  ctx.log(`catching up: ${a} → ${b} ${outbox(a, b)}; ${b} → ${a} ${outbox(b, a)}`);
}

/** The demo: readings, alerts, and one device's offline backlog. */
export async function edgeDemo(ctx: DemoContext): Promise<void> {
  const [gateway, ...devices] = ctx.nodes;
  ctx.log(`act 1: ${devices.length} devices publish ${READINGS} readings each; ${gateway.id} alerts a device over 80`);
  for (let i = 0; i < READINGS; i++) {
    await Promise.all(devices.map((d) => publishReading(d.url, d.id, i, ctx)));
  }
  if (!(await settle(ctx, gateway.id))) return;
  await showNodes(ctx);

  const offline = devices[0];
  ctx.log(`act 2: ${offline.id} is cut off from ${gateway.id} and publishes a backlog of ${BACKLOG} readings`);
  await post(offline.url, `/links/${gateway.id}/cut`, ctx);
  for (let i = READINGS; i < READINGS + BACKLOG; i += BACKLOG_BATCH) {
    if (await publishReadings(offline.url, offline.id, i, Math.min(BACKLOG_BATCH, READINGS + BACKLOG - i), ctx)) continue;
    ctx.log(`${offline.id} did not take its backlog (stopping, or unreachable)`);
    return;
  }
  const cut = await getJson<Status>(offline.url, '/status', ctx);
  ctx.log(`${offline.id} offline: outbox to ${gateway.id} holds ${cut?.peers.find((p) => p.id === gateway.id)?.outbox ?? '?'} events`);
  await post(offline.url, `/links/${gateway.id}/heal`, ctx);
  if (!(await settle(ctx, gateway.id, [offline.id, gateway.id]))) return;
  ctx.log(`healed: ${offline.id} and ${gateway.id} caught up`);
  await showNodes(ctx);
}
