/**
 * The edge-sync demo, run by `troupe cluster --app examples/edge-sync` once every node is
 * up. Act 1: every device publishes readings; the gateway aggregates them and alerts the
 * devices that crossed the threshold; each node's log and clock are shown, so that a
 * device is seen to hold its own readings and its own alerts, and to count (not hold) the
 * rest. Act 2: one device is cut off from the gateway, keeps publishing a backlog of
 * 100,000 readings, and catches up when the link heals, with each side's progress (events
 * left, rate, time to go, as `troupe status` shows it) printed every second. Act 3: that
 * device's data directory is wiped and it is restarted (`DemoContext.restart`); it gets
 * its own history back from the gateway, and the demo prints how much and how fast.
 */
import { getJson, pause, post } from '../orders/demo-client.js';
import { statusClock, type ClockOfStatus } from '../../inspector/status-clock.js';
import { nodeOf } from '../../protocol/origin.js';
import { outboxText } from '../../nodes/status-command.js';
import type { DemoContext } from '../../runtime/service.js';

/** Readings each device publishes in act 1, and the offline backlog of act 2. */
const READINGS = 20;
const BACKLOG = 100_000;
/** Backlog readings per `POST /events` (it takes up to 10,000 at once). */
const BACKLOG_BATCH = 10_000;

interface Status extends ClockOfStatus {
  readonly origin?: string;
  readonly recovering: boolean;
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

/** What a device published before it lost its disk: its clock's entries for its own origins. */
function ownEntries(device: string, s: Status): [string, number][] {
  return Object.entries(statusClock(s)).filter(([origin]) => nodeOf(origin) === device);
}

/**
 * Act 3: `device`'s data directory is wiped and it starts again empty, under a new origin;
 * waits until its clock counts every event of its earlier origins again (a device always
 * wants its own events, so it holds them) and its actors are rebuilt, then says how many
 * came back and how fast. Returns false when its status cannot be read or it takes over 2 min
 * (`ctx.restart` throws when the cluster stops meanwhile).
 */
async function wipeAndRecover(ctx: DemoContext, device: DemoContext['nodes'][number], gateway: string): Promise<boolean> {
  const before = await getJson<Status>(device.url, '/status', ctx);
  if (before === undefined) return false;
  const own = ownEntries(device.id, before);
  const total = own.reduce((n, [, seq]) => n + seq, 0);
  ctx.log(`act 3: ${device.id}'s data directory is wiped (it held ${total} events of its own) and it starts again`);
  const started = Date.now();
  await ctx.restart(device.id, { wipe: true });
  for (let i = 0; i < 600; i++) {
    const s = await getJson<Status>(device.url, '/status', ctx);
    const clock = s === undefined ? {} : statusClock(s);
    const back = own.reduce((n, [origin, seq]) => n + Math.min(seq, clock[origin] ?? 0), 0);
    if (s !== undefined && !s.recovering && back === total) {
      const took = ((Date.now() - started) / 1000).toFixed(1);
      ctx.log(`${device.id} wiped: got back ${back} of its ${total} own events from ${gateway} in ${took} s; it stamps as ${s.origin ?? '?'} now`);
      return true;
    }
    if (i % 5 === 4) {
      ctx.log(back === total ? `recovering: ${device.id} has its ${total} own events back and rebuilds its actors` : `recovering: ${device.id} has ${back} of its ${total} own events back`);
    }
    if (!(await pause(200, ctx.signal))) return false;
  }
  ctx.log(`${device.id} did not get its history back within 2 min`);
  return false;
}

/** The demo with the default backlog. */
export async function edgeDemo(ctx: DemoContext): Promise<void> {
  await edgeDemoWith(BACKLOG)(ctx);
}

/** The demo: readings, alerts, one device's offline backlog of `backlog` readings, and its wiped disk. */
export function edgeDemoWith(backlog: number): (ctx: DemoContext) => Promise<void> {
  return (ctx) => playEdgeDemo(ctx, backlog);
}

async function playEdgeDemo(ctx: DemoContext, backlog: number): Promise<void> {
  const [gateway, ...devices] = ctx.nodes;
  ctx.log(`act 1: ${devices.length} devices publish ${READINGS} readings each; ${gateway.id} alerts a device over 80`);
  for (let i = 0; i < READINGS; i++) {
    await Promise.all(devices.map((d) => publishReading(d.url, d.id, i, ctx)));
  }
  if (!(await settle(ctx, gateway.id))) return;
  await showNodes(ctx);

  const offline = devices[0];
  ctx.log(`act 2: ${offline.id} is cut off from ${gateway.id} and publishes a backlog of ${backlog} readings`);
  await post(offline.url, `/links/${gateway.id}/cut`, ctx);
  for (let i = READINGS; i < READINGS + backlog; i += BACKLOG_BATCH) {
    if (await publishReadings(offline.url, offline.id, i, Math.min(BACKLOG_BATCH, READINGS + backlog - i), ctx)) continue;
    ctx.log(`${offline.id} did not take its backlog (stopping, or unreachable)`);
    return;
  }
  const cut = await getJson<Status>(offline.url, '/status', ctx);
  ctx.log(`${offline.id} offline: outbox to ${gateway.id} holds ${cut?.peers.find((p) => p.id === gateway.id)?.outbox ?? '?'} events`);
  await post(offline.url, `/links/${gateway.id}/heal`, ctx);
  if (!(await settle(ctx, gateway.id, [offline.id, gateway.id]))) return;
  ctx.log(`healed: ${offline.id} and ${gateway.id} caught up`);
  await showNodes(ctx);

  if (!(await wipeAndRecover(ctx, offline, gateway.id))) return;
  await showNodes(ctx);
}
