/**
 * A keyed edge fleet with one device cut off from its gateway while the gateway has an
 * alert for it: where the tests of forged claims start (a compromised device `d2`, with a
 * valid key, tells `d1` something of that alert), and how they end (healed, `d1` gets the
 * alert from the honest gateway).
 */
import type { Test } from 'tap';
import type { Published } from './admin-client.js';
import { tails, waitForLinks } from './convergence.js';
import { startFleet, type Fleet } from './edge-fleet.js';
import { testKeys, type TestKeys } from './keyed-peer.js';
import { crashed, type NodeProcess } from './node-process.js';
import { waitFor } from './wait-for.js';

/** The fleet with `d1` cut off, and the alert for it that only the gateway holds. */
export interface CutDevice {
  /** Keys of `gw`, `d1` and `d2` (the one that runs no node: a test speaks as it). */
  readonly keys: TestKeys;
  readonly fleet: Fleet;
  readonly d1: NodeProcess;
  readonly alert: Published;
}

/** Starts a keyed fleet of `gw` and `d1`, cuts `d1`'s link to the gateway, and has the gateway publish an alert for `d1`. */
export async function cutDeviceWithAlert(t: Test): Promise<CutDevice> {
  const keys = await testKeys(t, ['gw', 'd1', 'd2']);
  const fleet = await startFleet(t, ['d1'], { gw: keys.args('gw'), d1: keys.args('d1') });
  const [d1] = fleet.devices;
  await waitForLinks(fleet.all(), [['gw', 'd1']]);
  t.equal((await d1.admin.request('POST', '/links/gw/cut')).status, 200, 'd1 cut its link to the gateway');
  const alert = await fleet.gw.admin.publish('alert.d1', { device: 'd1', value: 99 });
  return { keys, fleet, d1, alert };
}

/** Heals `d1`'s link to the gateway and waits until `d1` holds the alert. */
export async function healAndGetAlert(t: Test, { fleet, d1, alert }: CutDevice): Promise<void> {
  t.equal((await d1.admin.request('POST', '/links/gw/heal')).status, 200, 'd1 healed its link');
  await waitFor(async () => (await d1.admin.log()).map((e) => e.id), {
    until: (ids) => ids.includes(alert.id),
    failFast: crashed(fleet.all()),
    message: () => `d1 to get the alert from the gateway\n${tails(fleet.all())}`,
  });
  t.pass('d1 got the alert from the honest gateway');
}
