/**
 * Interest-based replication with real processes, ws and LevelDB, on the edge-sync app: a
 * gateway `gw` that wants everything and devices that want only their sensor's
 * `alert.<device>` (and their own events), each linked to the gateway alone.
 */
import t, { type Test } from 'tap';
import type { LogEntry, NodeStatus } from './helpers/admin-client.js';
import { interestOf, orderProblems, startFleet, waitForFleetClock, type Fleet } from './helpers/edge-fleet.js';
import { crashed, startNode } from './helpers/node-process.js';
import { nodeClock } from './helpers/node-clock.js';
import { waitFor } from './helpers/wait-for.js';
import { nodeOf } from '../protocol/origin.js';
import { tails, waitForLinks } from './helpers/convergence.js';

type InterestStatus = Omit<NodeStatus, 'peers'> & {
  readonly interest?: { readonly want: string[]; readonly skipped: number; readonly refilling: number };
  readonly peers: readonly { readonly id: string; readonly connected: boolean; readonly outbox: number; readonly interest?: string[] }[];
};

async function status(node: { admin: { status(): Promise<NodeStatus> } }): Promise<InterestStatus> {
  return (await node.admin.status()) as InterestStatus;
}

async function publishReadings(node: Fleet['gw'], values: readonly number[]): Promise<void> {
  for (const value of values) await node.admin.publish('reading', { device: node.id, value });
}

/**
 * Checks that `device` holds exactly its interest of the gateway's log, in causal order,
 * once each. After a widening, the history fetched back follows what the device held
 * before (`heldBefore` entries): each part is in causal order by itself.
 */
async function checkHoldsItsInterest(t: Test, fleet: Fleet, device: Fleet['gw'], wants: (type: string) => boolean, heldBefore = 0): Promise<LogEntry[]> {
  const [gatewayLog, deviceLog] = await Promise.all([fleet.gw.admin.log(), device.admin.log()]);
  t.same(deviceLog.map((e) => e.id).sort(), interestOf(device.id, gatewayLog, wants).sort(), `${device.id} holds its interest and its own events, nothing else`);
  const parts = heldBefore === 0 ? [deviceLog] : [deviceLog.slice(0, heldBefore), deviceLog.slice(heldBefore)];
  t.same(parts.flatMap(orderProblems), [], `${device.id}'s log is in causal order, each event once`);
  t.equal(new Set(deviceLog.map((e) => e.id)).size, deviceLog.length, `${device.id} holds each event once`);
  return deviceLog;
}

t.test('a device receives exactly its interest, in causal order, when the events it wants depend on events it does not want', async (t) => {
  const fleet = await startFleet(t, ['d1', 'd2', 'd3']);
  const [d1, d2, d3] = fleet.devices;
  await waitForLinks(fleet.all(), [['gw', 'd1'], ['gw', 'd2'], ['gw', 'd3']]);
  // d2 and d3 publish first, so the gateway has delivered their readings before d1's
  // alerts: each alert for d1 depends on readings d1 never holds.
  await publishReadings(d2, [10, 95, 20]);
  await publishReadings(d3, [99, 5]);
  await waitFor(() => status(fleet.gw), { until: (s) => (nodeClock(s.vc).d2 ?? 0) >= 3 && (nodeClock(s.vc).d3 ?? 0) >= 2, failFast: crashed(fleet.all()), message: () => tails(fleet.all()) });
  await publishReadings(d1, [10, 90, 20, 91, 30]);
  const vc = await waitForFleetClock(fleet);
  t.ok((nodeClock(vc).d1 ?? 0) >= 7, 'd1 published its readings and acknowledged its alerts');

  const log = await checkHoldsItsInterest(t, fleet, d1, (type) => type === 'alert.d1');
  const alerts = log.filter((e) => e.type === 'alert.d1');
  t.equal(alerts.length, 2, 'd1 got both of its alerts');
  t.ok(alerts.every((a) => (nodeClock(a.vc).d2 ?? 0) >= 3 && (nodeClock(a.vc).d3 ?? 0) >= 2), "d1's alerts depend on d2's and d3's readings, which d1 does not hold");
  t.notOk(log.some((e) => e.type === 'alert.d2' || e.type === 'alert.d3' || (e.type === 'reading' && nodeOf(e.origin) !== 'd1')), 'no other device’s events');
  await checkHoldsItsInterest(t, fleet, d2, (type) => type === 'alert.d2');
  await checkHoldsItsInterest(t, fleet, d3, (type) => type === 'alert.d3');

  const actors = await d1.admin.actors();
  t.equal(actors.find((a) => a.service === 'sensor')?.context.alerts, 2, "d1's sensor handled its two alerts");
  const d1Status = await status(d1);
  t.same(d1Status.interest?.want, ['alert.d1'], "d1's /status shows its interest");
  t.ok((d1Status.interest?.skipped ?? 0) > 0, 'd1 counts the events it skipped');
  t.equal(d1Status.log.size + (d1Status.interest?.skipped ?? 0), Object.values(d1Status.vc).reduce((a, b) => a + b, 0), 'what d1 holds and what it skipped make up its clock');
  const gwStatus = await status(fleet.gw);
  t.same(gwStatus.peers.find((p) => p.id === 'd1')?.interest, ['alert.d1'], "the gateway's /status shows d1's interest");
  // d1's clock equals the gateway's already; its ack follows within the ack delay.
  const acked = await waitFor(() => status(fleet.gw), {
    until: (s) => s.peers.find((p) => p.id === 'd1')?.outbox === 0,
    failFast: crashed(fleet.all()),
    message: () => `the gateway's outbox to d1 to drain\n${tails(fleet.all())}`,
  });
  t.equal(acked.peers.find((p) => p.id === 'd1')?.outbox, 0, "the gateway's outbox to d1 is empty once d1 acknowledged");
});

t.test('a device cut off, publishing, then healed converges with the gateway', async (t) => {
  const fleet = await startFleet(t, ['d1', 'd2']);
  const [d1, d2] = fleet.devices;
  await waitForLinks(fleet.all(), [['gw', 'd1'], ['gw', 'd2']]);
  const cut = await d1.admin.request('POST', '/links/gw/cut');
  t.equal(cut.status, 200, 'd1 cut its link to the gateway');
  const backlog = Array.from({ length: 400 }, (_, i) => (i % 50 === 10 ? 95 : i % 80));
  await publishReadings(d1, backlog);
  await publishReadings(d2, [97, 1, 98]);
  const offline = await status(d1);
  t.ok((offline.peers.find((p) => p.id === 'gw')?.outbox ?? 0) >= 400, "d1's outbox to the gateway holds its backlog");
  t.equal((await d1.admin.request('POST', '/links/gw/heal')).status, 200, 'd1 healed its link');
  await waitForFleetClock(fleet);
  const gatewayLog = await fleet.gw.admin.log();
  t.equal(gatewayLog.filter((e) => e.type === 'reading' && nodeOf(e.origin) === 'd1').length, 400, 'the gateway holds every reading of the backlog, once');
  const log = await checkHoldsItsInterest(t, fleet, d1, (type) => type === 'alert.d1');
  t.ok(log.some((e) => e.type === 'alert.d1'), 'the backlog raised alerts that reached d1');
  await checkHoldsItsInterest(t, fleet, d2, (type) => type === 'alert.d2');
});

t.test('a gateway restarted with kill -9 while a device catches up loses nothing', async (t) => {
  const fleet = await startFleet(t, ['d1']);
  const [d1] = fleet.devices;
  await waitForLinks(fleet.all(), [['gw', 'd1']]);
  await d1.admin.request('POST', '/links/gw/cut');
  const count = 3000;
  for (let i = 0; i < count; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => d1.admin.publish('reading', { device: 'd1', value: (i + j) % 97 })));
  }
  await d1.admin.request('POST', '/links/gw/heal');
  await waitFor(() => status(fleet.gw), { until: (s) => (nodeClock(s.vc).d1 ?? 0) > 0, failFast: crashed(fleet.all()), message: () => tails(fleet.all()) });
  await fleet.gw.kill9();
  await fleet.gw.restart();
  await waitForFleetClock(fleet, 120_000);
  const gatewayLog = await fleet.gw.admin.log();
  const readings = gatewayLog.filter((e) => e.type === 'reading' && nodeOf(e.origin) === 'd1');
  t.equal(readings.length, count, 'the gateway holds every reading');
  t.equal(new Set(readings.map((e) => e.id)).size, count, 'each once');
  await checkHoldsItsInterest(t, fleet, d1, (type) => type === 'alert.d1');
});

t.test('a device whose interest widens gets the history it lacked, delivered to the service that wants it', async (t) => {
  const fleet = await startFleet(t, ['d1', 'd2']);
  const [d1, d2] = fleet.devices;
  await waitForLinks(fleet.all(), [['gw', 'd1'], ['gw', 'd2']]);
  await publishReadings(d2, [5, 96, 7, 8]);
  await publishReadings(d1, [1, 2]);
  await waitForFleetClock(fleet);
  const before = await d1.admin.log();
  t.notOk(before.some((e) => nodeOf(e.origin) === 'd2'), 'd1 holds none of d2’s readings yet');
  await d1.stop();
  // The same data dir, now also wanting every reading.
  const wider = await startNode(t, { id: 'd1', app: 'examples/edge-sync', data: d1.data, port: d1.port, peers: [fleet.gw.wsUrl], extraArgs: ['--relaxed', '--want', 'reading'] });
  fleet.devices[0] = wider;
  // The new start retires the earlier one with an event of its own: wait for it too, or the
  // clocks can match before it is stamped and the gateway's log then lack it.
  const earlier = before.find((e) => nodeOf(e.origin) === 'd1')?.origin;
  await waitFor(() => status(wider), {
    until: (s) => s.interest?.refilling === 0 && s.peers.some((p) => p.connected) && (s.retired?.origins ?? []).some((o) => o.origin === earlier),
    failFast: crashed(fleet.all()),
    timeout: 60_000,
    message: () => tails(fleet.all()),
    describe: (s) => JSON.stringify(s.interest),
  });
  await waitForFleetClock(fleet);
  const log = await checkHoldsItsInterest(t, fleet, wider, (type) => type === 'alert.d1' || type === 'reading', before.length);
  t.equal(log.filter((e) => nodeOf(e.origin) === 'd2' && e.type === 'reading').length, 4, 'd1 got back the four readings of d2 it had skipped');
  t.same(log.slice(0, before.length).map((e) => e.id), before.map((e) => e.id), 'what d1 held keeps its positions; the history follows');
});

t.test('a device whose data dir is wiped gets its own events back from the gateway', async (t) => {
  const fleet = await startFleet(t, ['d1']);
  const [d1] = fleet.devices;
  await waitForLinks(fleet.all(), [['gw', 'd1']]);
  await publishReadings(d1, [1, 93, 2, 3]);
  await waitForFleetClock(fleet);
  const before = await d1.admin.log();
  await d1.kill9();
  const { rm } = await import('node:fs/promises');
  await rm(d1.data, { recursive: true, force: true });
  await d1.restart();
  // Once its actors are rebuilt, d1 retires its earlier start (`protocol/retirement.ts`): its one new event.
  await waitFor(() => d1.admin.log(), {
    until: (log) => log.some((e) => e.type === 'troupe.retired'),
    failFast: crashed(fleet.all()),
    message: () => `d1 to retire its earlier start\n${tails(fleet.all())}`,
  });
  await waitForFleetClock(fleet);
  const after = await d1.admin.log();
  const retirements = after.filter((e) => e.type === 'troupe.retired');
  t.same(retirements.map((e) => e.data), [{ origins: { [before[0]!.origin]: before.filter((e) => e.origin === before[0]!.origin).length } }], 'd1 retired its earlier start');
  t.same(after.filter((e) => e.type !== 'troupe.retired').map((e) => e.id).sort(), before.map((e) => e.id).sort(), 'd1 holds its own readings and its alert again');
  await checkHoldsItsInterest(t, fleet, d1, (type) => type === 'alert.d1');
});
