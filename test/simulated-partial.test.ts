/**
 * Pins that `troupe/testing` runs partial nodes as real ones: a device named in the app's
 * `interest` (or given `want`) holds only what it wants and its own events, counts the
 * rest as skipped, and takes each skip only on its origin's signed types (a `cover` frame
 * ahead of it), as a keyed node process does. The app is the edge-sync example: the
 * gateway's aggregator raises `alert.<device>`, the device's sensor acknowledges it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import pino from 'pino';
import edgeSync from '../examples/edge-sync/index.js';
import type { Frame } from '../protocol/frame.js';
import type { PeerLink } from '../runtime/fabric.js';
import { simulateCluster, type Delivery } from '../testing/index.js';
import { simulatedIdentities } from '../testing/simulated-keys.js';
import { SimulatedNode } from '../testing/simulated-node.js';
import { SimulatedTime } from '../testing/simulated-time.js';

/** A logger at warn level whose records land in `records`. */
function capture(): { log: pino.Logger; records: { msg?: string }[] } {
  const records: { msg?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      records.push(JSON.parse(chunk.toString()) as { msg?: string });
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), records };
}

/** Every frame delivered until nothing is in flight. */
async function drain(sim: Awaited<ReturnType<typeof simulateCluster>>): Promise<Delivery[]> {
  return sim.deliver(Number.MAX_SAFE_INTEGER);
}

/** Seqs of `frame` proved for skipping: a cover, or a whole v3 checkpoint. */
function proved(frame: Frame): { origin: string; from: number; to: number } | undefined {
  if (frame.type === 'cover') return { origin: frame.origin, from: frame.first, to: frame.first + runsLength(frame.runs) - 1 };
  return undefined;
}

/** The events a checkpoint's type runs add up to (4 bytes a run: type index, length). */
function runsLength(runs: Uint8Array): number {
  let n = 0;
  for (let i = 0; i + 4 <= runs.length; i += 4) n += (runs[i + 2] << 8) | runs[i + 3];
  return n;
}

t.test('a device in the app\'s interest holds its alerts and own events only, and takes every skip on a cover', async (t) => {
  const { log, records } = capture();
  const sim = await simulateCluster({ app: edgeSync, nodes: ['gw', 'd1', 'd2'], seed: 5, log });
  t.teardown(() => sim.stop());
  for (const value of [20, 90, 30, 95]) await sim.publish('d2', { type: 'reading', data: { device: 'd2', value } });
  await sim.publish('d1', { type: 'reading', data: { device: 'd1', value: 99 } });
  const frames = await drain(sim);
  await sim.settle();

  t.ok(sim.converged(), 'every clock is the gateway\'s: a device counts what it skipped');
  const d1 = (await sim.log('d1')).map((e) => `${e.type}:${(e.data as { device?: string } | undefined)?.device ?? ''}`);
  t.notOk(d1.some((e) => e.endsWith(':d2')), 'd1 holds nothing of d2');
  t.ok(d1.includes('alert.d1:d1'), 'd1 holds its own alert');
  t.ok(d1.includes('reading:d1'), 'and its own reading');
  t.equal(sim.actor<{ alerts: number }>('d1', 'sensor')?.context.alerts, 1, 'd1\'s sensor ({node} placed as d1) took its alert');
  t.equal(sim.actor<{ alerts: number }>('d2', 'sensor')?.context.alerts, 2, 'd2\'s sensor took its two');
  t.ok((sim.status('d1').interest?.skipped ?? 0) > 0, '/status shows what d1 skipped');

  const toD1 = frames.filter((d) => d.to === 'd1');
  const skips = toD1.filter((d) => d.frame.type === 'skip');
  t.ok(skips.length > 0, 'peers named what d1 does not want in skip frames');
  for (const skip of skips) {
    if (skip.frame.type !== 'skip') continue;
    const before = toD1.slice(0, toD1.indexOf(skip)).filter((d) => d.from === skip.from);
    const covers = before.map((d) => proved(d.frame)).filter((c) => c !== undefined);
    for (const r of skip.frame.ranges) {
      const ok = covers.some((c) => c.origin === r.origin && c.from <= r.from && r.to <= c.to) || before.some((d) => d.frame.type === 'proof' && d.frame.origin === r.origin);
      t.ok(ok, `${skip.from}'s skip of ${r.origin} ${r.from}…${r.to} came after its proof`);
    }
  }
  t.same(records.filter((r) => r.msg?.includes('refused') === true), [], 'no frame was refused');
});

t.test('want makes a node partial as --want does, beside its services\' types', async (t) => {
  const sim = await simulateCluster({ app: edgeSync, nodes: ['gw', 'd1', 'd2'], want: { gw: ['alert.*'] }, seed: 2 });
  t.teardown(() => sim.stop());
  t.same(sim.status('gw').interest?.want, ['alert.*', 'alert.ack', 'reading'], 'the gateway wants its aggregator\'s types and alerts');
  t.equal(sim.status('d1').interest?.want.join(), 'alert.d1', 'd1 wants its sensor\'s type alone (the app\'s interest)');
  await sim.publish('d2', { type: 'reading', data: { device: 'd2', value: 99 } });
  await sim.settle();
  t.ok(sim.converged(), 'every clock agrees');
  t.ok((await sim.log('gw')).some((e) => e.type === 'alert.d2'), 'the aggregator still raises the alert');
});

t.test('want naming a node not in the cluster is refused', async (t) => {
  await t.rejects(simulateCluster({ app: edgeSync, nodes: ['gw', 'd1'], want: { d9: [] } }), { code: 'TROUPE_BAD_REQUEST' });
});

t.test('a simulated partial node refuses a skip that no cover proves, and its clock does not move', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-sim-partial-'));
  const node = new SimulatedNode({
    id: 'd1', dataDir: dir, services: [], time: new SimulatedTime(Date.UTC(2025, 0, 1)), log: pino({ level: 'silent' }), seed: 1,
    identity: simulatedIdentities(1, ['gw', 'd1']).get('d1'), want: ['alert.d1'],
  });
  t.teardown(async () => {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const { fabric } = await node.start();
  const gw: PeerLink = { peer: 'gw', origin: 'gw~a', bufferedAmount: 0, send: () => undefined, close: () => undefined, pause: () => undefined, resume: () => undefined };
  t.ok(fabric.linkUp(gw), 'd1 links the gateway');
  t.throws(() => fabric.receive(gw, { type: 'skip', ranges: [{ origin: 'gw~a', from: 1, to: 3 }] }), { code: 'TROUPE_PEER_FORGED_EVENT' }, 'a skip with no cover is a forgery, as on a keyed node process');
  t.same(fabric.clock, {}, 'nothing was counted');
});
