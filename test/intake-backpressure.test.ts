import t, { type Test } from 'tap';
import pino from 'pino';
import { assign, setup } from 'xstate';
import { encodeEvent } from '../protocol/codec.js';
import type { EncodedEvent } from '../protocol/envelope.js';
import { Fabric, type FabricOptions, type PeerLink } from '../runtime/fabric.js';
import { Host } from '../runtime/host.js';
import { startNode, type RunningNode } from '../runtime/node.js';
import type { ServiceDefinition } from '../runtime/service.js';
import { Store } from '../runtime/store.js';
import { waitFor } from './helpers/wait-for.js';

const silent = pino({ level: 'silent' });

/** Counts `Tick` events; its context is what `/actors` shows. */
const counter: ServiceDefinition = {
  name: 'counter',
  on: ['Tick'],
  machine: setup({ types: { context: {} as { n: number } } }).createMachine({
    context: { n: 0 },
    on: { Tick: { actions: assign(({ context }) => ({ n: context.n + 1 })) } },
  }),
};

/** Events `from`..`to` of origin `p`, each depending only on its predecessor. */
function ticks(from: number, to: number, data: unknown = null): EncodedEvent[] {
  const out: EncodedEvent[] = [];
  for (let seq = from; seq <= to; seq++) {
    out.push(encodeEvent({ origin: 'p', seq, schema: 1, vc: { p: seq }, type: 'Tick', correlationId: 'c', causationId: null, ts: seq, data }));
  }
  return out;
}

/** A link to peer `p` that counts pauses and resumes. */
function countingLink(): PeerLink & { pauses: number; resumes: number; paused: boolean } {
  const link = {
    peer: 'p',
    origin: 'p',
    bufferedAmount: 0,
    pauses: 0,
    resumes: 0,
    paused: false,
    send: () => {},
    close: () => {},
    pause: () => {
      link.pauses++;
      link.paused = true;
    },
    resume: () => {
      link.resumes++;
      link.paused = false;
    },
  };
  return link;
}

/** Node `n1` with a counter service and one linked peer `p`, over a fresh store. */
async function setupFabric(t: Test, options: FabricOptions) {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  let fabric: Fabric | undefined;
  const host = new Host({ services: [counter], schedule: (task) => fabric?.schedule(task) });
  fabric = new Fabric({ id: 'n1', store, host, log: silent, options });
  const link = countingLink();
  t.ok(fabric.linkUp(link), 'p links up');
  const running = fabric;
  t.teardown(async () => {
    await running.stop();
    host.stop();
    await store.close();
  });
  const committed = (n: number) => waitFor(() => running.size, { message: `${n} events committed`, until: (size) => size === n, timeout: 5000, interval: 1 });
  return { fabric: running, link, committed };
}

t.test('a link is paused once deliverable events pass the budget, and resumed by the next batch', async (t) => {
  const { fabric, link, committed } = await setupFabric(t, { intakeEvents: 4 });
  // Frames that arrive in one I/O turn all land before the pump's batch runs.
  fabric.receive(link, { type: 'events', events: ticks(1, 3) });
  t.equal(link.pauses, 0, '3 events wait: under the budget of 4');
  fabric.receive(link, { type: 'events', events: ticks(4, 6) });
  t.equal(link.pauses, 1, '6 events wait: paused');
  fabric.receive(link, { type: 'events', events: ticks(7, 9) });
  t.equal(link.pauses, 1, 'a frame already read while paused does not pause again');
  await committed(9);
  t.equal(link.resumes, 1, 'the batch that took them resumed the link');
  t.notOk(link.paused);
});

t.test('the byte budget pauses too', async (t) => {
  const { fabric, link, committed } = await setupFabric(t, { intakeEvents: 1000, intakeBytes: 2048 });
  fabric.receive(link, { type: 'events', events: ticks(1, 2, 'x'.repeat(1500)) });
  t.equal(link.pauses, 1, 'two events of 1.5 KB are over 2 KB');
  await committed(2);
  t.notOk(link.paused, 'resumed');
});

t.test('events waiting for a dependency never pause the link that brings it', async (t) => {
  const { fabric, link, committed } = await setupFabric(t, { intakeEvents: 4 });
  fabric.receive(link, { type: 'events', events: ticks(2, 20) });
  t.equal(fabric.buffered, 19, 'all overtook p:1 and wait for it');
  t.equal(link.pauses, 0, 'none is deliverable, so the link stays open for p:1');
  fabric.receive(link, { type: 'events', events: ticks(1, 1) });
  await committed(20);
  t.equal(fabric.buffered, 0);
});

t.test('a catch-up over real sockets, paused every few events, delivers everything in order', async (t) => {
  const backlog = 3000;
  const start = (id: string, dataDir: string, peers: string[]): Promise<RunningNode> =>
    startNode({ id, secret: 's', dataDir, port: 0, services: id === 'b' ? [counter] : [], peers, relaxed: true, log: silent, fabric: { intakeEvents: 16 } });
  const a = await start('a', t.testdir() + '/a', []);
  t.teardown(() => a.stop());
  const published = [];
  for (let i = 0; i < backlog; i++) published.push(a.publish({ type: 'Tick', data: i }));
  await Promise.all(published);

  const b = await start('b', t.testdir() + '/b', [a.url.replace('http', 'ws')]);
  t.teardown(() => b.stop());
  const count = async (): Promise<number> => {
    const { actors } = (await (await fetch(`${b.url}/actors`)).json()) as { actors: { context: { n: number } }[] };
    return actors[0]?.context.n ?? 0;
  };
  await waitFor(count, { message: `b to handle all ${backlog} events`, until: (n) => n === backlog, timeout: 20_000, interval: 20 });
  // Handled is not yet committed: read the log once it holds them all (`wait` until then).
  const seqs: number[] = [];
  for (let from = 1; from <= backlog; ) {
    const page = (await (await fetch(`${b.url}/log?from=${from}&limit=1000&wait=10000`)).json()) as { events: { seq: number }[]; next: number };
    if (page.events.length === 0) break;
    seqs.push(...page.events.map((e) => e.seq));
    from = page.next;
  }
  t.same(seqs, Array.from({ length: backlog }, (_, i) => i + 1), 'b logged a:1..3000 in order, each once');
});
