/**
 * A device's interest follows the services placed on it (issue 16): restarted with a new
 * service, a device wants what that service consumes, fetches back the history of those
 * types it had skipped, and the new service handles it. Real processes, ws and LevelDB, on
 * the edge-sync app (`test/interest.integration.test.ts` widens with `--want` instead).
 */
import t from 'tap';
import type { NodeStatus } from './helpers/admin-client.js';
import { startFleet, waitForFleetClock } from './helpers/edge-fleet.js';
import { crashed, startNode } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';
import { tails, waitForLinks } from './helpers/convergence.js';
import { nodeOf } from '../protocol/origin.js';

type InterestStatus = NodeStatus & { readonly interest?: { readonly want: string[]; readonly skipped: number; readonly refilling: number } };

t.test('a device restarted with a new service wants what it consumes and hands it the history it had skipped', async (t) => {
  const fleet = await startFleet(t, ['d1', 'd2']);
  const [d1, d2] = fleet.devices;
  await waitForLinks(fleet.all(), [['gw', 'd1'], ['gw', 'd2']]);
  for (const value of [5, 96, 7, 8]) await d2.admin.publish('reading', { device: 'd2', value });
  await d1.admin.publish('reading', { device: 'd1', value: 1 });
  await waitForFleetClock(fleet);
  const before = await d1.admin.log();
  t.notOk(before.some((e) => nodeOf(e.origin) === 'd2'), 'd1 holds none of d2’s readings yet');
  t.notOk((await d1.admin.actors()).some((a) => a.service === 'aggregator'), 'd1 hosts no aggregator yet');
  await d1.stop();

  // The same data dir and flags, now also hosting the aggregator, which consumes readings.
  const wider = await startNode(t, { id: 'd1', app: 'examples/edge-sync', data: d1.data, port: d1.port, peers: [fleet.gw.wsUrl], extraArgs: ['--relaxed', '--services', 'sensor,aggregator'] });
  fleet.devices[0] = wider;
  const earlier = before.find((e) => nodeOf(e.origin) === 'd1')?.origin;
  const status = await waitFor(async () => (await wider.admin.status()) as InterestStatus, {
    until: (s) => s.interest?.refilling === 0 && s.peers.some((p) => p.connected) && (s.retired?.origins ?? []).some((o) => o.origin === earlier),
    failFast: crashed(fleet.all()),
    timeout: 60_000,
    message: () => tails(fleet.all()),
    describe: (s) => JSON.stringify(s.interest),
  });
  t.ok(status.interest?.want.includes('reading'), 'd1 now wants readings, which its new service consumes', { want: status.interest?.want });
  t.ok(status.interest?.want.includes('alert.d1'), 'and still its sensor’s alerts');
  await waitForFleetClock(fleet);

  const log = await wider.admin.log();
  t.same(log.filter((e) => nodeOf(e.origin) === 'd2' && e.type === 'reading').map((e) => (e.data as { value: number }).value), [5, 96, 7, 8], 'd1 fetched back d2’s four readings, in order');
  const aggregate = await waitFor(async () => (await wider.admin.actors()).find((a) => a.service === 'aggregator' && a.key === 'd2'), {
    until: (a) => a !== undefined && a.context.count === 4,
    failFast: crashed(fleet.all()),
    message: 'd1’s aggregator to count d2’s four readings',
    describe: (a) => JSON.stringify(a?.context),
  });
  t.equal(aggregate?.context.count, 4, 'the new aggregator on d1 handled the history it lacked');
});
