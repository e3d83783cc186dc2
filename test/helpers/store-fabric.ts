/**
 * A fabric of node n1 over a real store in a directory, as a node starts one, for unit
 * tests of what a start reads and writes (retirements, their records on disk).
 */
import pino from 'pino';
import type { Test } from 'tap';
import { Fabric } from '../../runtime/fabric.js';
import { Host } from '../../runtime/host.js';
import { Store } from '../../runtime/store.js';

const log = pino({ level: 'silent' });

/** A fabric of node n1 over the store in `dir`, stamping under `origin`; stopped at teardown, or by `stop` (once). */
export async function startFabric(t: Test, dir: string, origin: string): Promise<{ fabric: Fabric; stop: () => Promise<void> }> {
  const store = await Store.open(dir, 'n1', { sync: false });
  const state = await store.load();
  const host = new Host({ services: [], schedule: () => {} });
  const fabric = new Fabric({ id: 'n1', origin, store, host, log, state });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await fabric.stop();
    host.stop();
    await store.close();
  };
  t.teardown(stop);
  return { fabric, stop };
}
