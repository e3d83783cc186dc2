/**
 * Folded told and stored clocks (`protocol/clock-folding.ts`): a reader never reads back
 * more than the writer has, reads back exactly what it has when it knows what the writer
 * folded on, and a node's own stored clock always reads back whole.
 */
import t from 'tap';
import fc from 'fast-check';
import { foldExact, foldRetired, unfoldRetired, type Retiring } from '../protocol/clock-folding.js';
import type { VectorClock } from '../protocol/envelope.js';
import { canDeliver, dominates } from '../protocol/vector-clock.js';

/** An event of the simulation, with its full clock and what it retires. */
interface SimEvent {
  readonly origin: string;
  readonly seq: number;
  readonly full: VectorClock;
  readonly retires?: Record<string, number>;
}

/** A simulated node: a new origin at each restart, retiring its ended ones; it may also retire other nodes' ended origins (as `troupe forget` does). */
class SimNode {
  readonly delivered: VectorClock = {};
  readonly retiring = new Map<string, Retiring[]>();
  /** Its delivered clock after each delivery: what a peer may have last heard of it. */
  readonly history: VectorClock[] = [{}];
  private starts = 0;
  origin: string;

  constructor(readonly id: string) {
    this.origin = `${id}~0`;
  }

  stamp(retires?: Record<string, number>): SimEvent {
    const seq = (this.delivered[this.origin] ?? 0) + 1;
    const e = { origin: this.origin, seq, full: { ...this.delivered, [this.origin]: seq }, ...(retires === undefined ? {} : { retires }) };
    this.deliver(e);
    return e;
  }

  /** Delivers `e`, learning what it retires as `runtime/retirements.ts` does. */
  deliver(e: SimEvent): void {
    this.delivered[e.origin] = e.seq;
    for (const [origin, final] of Object.entries(e.retires ?? {})) {
      if (origin === e.origin || (e.full[origin] ?? 0) < final) continue;
      const list = this.retiring.get(origin) ?? [];
      list.push({ origin: e.origin, seq: e.seq, final });
      this.retiring.set(origin, list);
    }
    this.history.push({ ...this.delivered });
  }

  /** Starts again under a fresh origin and retires its earlier ones at its entries. */
  restart(): SimEvent {
    this.origin = `${this.id}~${++this.starts}`;
    return this.stamp(this.ended((o) => o.startsWith(`${this.id}~`)));
  }

  /** Retires the other nodes' origins it counts that are not `current` of theirs, at its entries (maybe below their real final). */
  forget(current: ReadonlySet<string>): SimEvent {
    return this.stamp(this.ended((o) => !o.startsWith(`${this.id}~`) && !current.has(o)));
  }

  private ended(which: (origin: string) => boolean): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [origin, n] of Object.entries(this.delivered)) if (origin !== this.origin && which(origin)) out[origin] = n;
    return out;
  }
}

/** Replays a script over three nodes: stamp, restart, deliver something deliverable, or forget. */
function simulate(script: readonly (readonly [number, number, number])[]): SimNode[] {
  const nodes = ['a', 'b', 'c'].map((id) => new SimNode(id));
  const events: SimEvent[] = [];
  for (const [who, action, pick] of script) {
    const node = nodes[who % nodes.length];
    if (action === 0 || events.length === 0) events.push(node.stamp());
    else if (action === 1) events.push(node.restart());
    else if (action === 4) events.push(node.forget(new Set(nodes.map((n) => n.origin))));
    else {
      const ready = events.filter((e) => (node.delivered[e.origin] ?? 0) < e.seq && canDeliver(node.delivered, { ...e, vc: e.full }));
      if (ready.length > 0) node.deliver(ready[pick % ready.length]);
    }
  }
  return nodes;
}

const scripts = fc.array(fc.tuple(fc.nat(2), fc.nat(5), fc.nat(1000)), { minLength: 1, maxLength: 150 });

/** Whether `a` and `b` hold the same entries (a missing one being 0). */
function sameClock(a: VectorClock, b: VectorClock): boolean {
  return dominates(a, b) && dominates(b, a);
}

t.test('a peer reads a told clock back never above the writer, and exactly when its acknowledged clock is current', async (t) => {
  let folded = 0;
  fc.assert(
    fc.property(scripts, fc.nat(2), fc.nat(2), fc.nat(10_000), (script, w, r, when) => {
      const nodes = simulate(script);
      const writer = nodes[w];
      const reader = nodes[r];
      if (writer === reader) return true;
      // What the writer knows of the reader: some clock the reader had (its acks lag).
      const acked = reader.history[when % reader.history.length];
      const told = foldRetired(writer.delivered, writer.retiring, acked);
      folded += Object.keys(writer.delivered).length - Object.keys(told).length;
      const read = unfoldRetired(told, reader.retiring);
      if (!dominates(writer.delivered, read)) return false; // never more than the writer has
      const current = foldRetired(writer.delivered, writer.retiring, reader.delivered);
      return sameClock(unfoldRetired(current, reader.retiring), writer.delivered);
    }),
    { numRuns: 400 },
  );
  t.ok(folded > 0, `the histories had folded entries (${folded})`);
});

t.test('a node that never counted a retired origin reads it as 0, even where the reader knows it retired', async (t) => {
  fc.assert(
    fc.property(scripts, fc.nat(2), fc.nat(2), fc.nat(10_000), (script, w, r, when) => {
      const nodes = simulate(script);
      // Any clock the writer once had, sent unfolded (a fresh member, an older release):
      const sent = nodes[w].history[when % nodes[w].history.length];
      return sameClock(unfoldRetired(sent, nodes[r].retiring), sent);
    }),
    { numRuns: 300 },
  );
  const retiring = new Map([['a~0', [{ origin: 'a~1', seq: 1, final: 5 }]]]);
  t.same(unfoldRetired({}, retiring), {}, 'an empty clock stays empty');
  t.same(unfoldRetired({ 'a~1': 1 }, retiring), { 'a~1': 1, 'a~0': 5 }, 'a clock that counts the retirement reads its final back');
  t.same(unfoldRetired({ 'a~1': 1, 'a~0': 2 }, retiring), { 'a~1': 1, 'a~0': 2 }, 'an entry written out is read as it is');
});

t.test('a stored clock reads back whole, with what the node learned since or not', async (t) => {
  fc.assert(
    fc.property(scripts, fc.nat(2), fc.nat(10_000), (script, who, when) => {
      const node = simulate(script)[who];
      const then = node.history[when % node.history.length];
      const stored = foldRetired(then, node.retiring, then);
      return sameClock(unfoldRetired(stored, node.retiring), then);
    }),
    { numRuns: 300 },
  );
});

t.test('a chain of restarts folds to the live origins and reads back whole', async (t) => {
  const a = new SimNode('a');
  for (let i = 0; i < 5; i++) {
    a.stamp();
    a.restart();
  }
  const stored = foldRetired(a.delivered, a.retiring, a.delivered);
  t.same(stored, { 'a~5': 1 }, 'only the current start is left');
  t.same(unfoldRetired(stored, a.retiring), a.delivered, 'and every earlier start reads back at its final seq');
  t.same(foldRetired(a.delivered, a.retiring, {}), a.delivered, 'a reader that counts no retirement gets every entry');
  t.same(foldRetired(a.delivered, a.retiring, a.delivered, new Set(['a~2'])), { 'a~2': 2, 'a~5': 1 }, 'an entry told lower on purpose is always written');
});

t.test('a larger final seq the writer does not have is never read back', async (t) => {
  // r knows a~0 retired at 7 (a late copy raised it); w retired it at 4 and has only 4.
  const w = new Map([['a~0', [{ origin: 'a~1', seq: 1, final: 4 }]]]);
  const r = new Map([['a~0', [{ origin: 'a~1', seq: 1, final: 4 }, { origin: 'a~1', seq: 3, final: 7 }]]]);
  const told = foldRetired({ 'a~0': 4, 'a~1': 2 }, w, { 'a~1': 3 });
  t.same(told, { 'a~1': 2 }, 'w folds on the retirement both count');
  t.same(unfoldRetired(told, r), { 'a~1': 2, 'a~0': 4 }, 'r reads 4: the frame does not count the retirement at 7');
});

t.test('a peer clock stored by foldExact reads back exactly, even with entries lowered on purpose', async (t) => {
  let folded = 0;
  fc.assert(
    fc.property(scripts, fc.nat(2), fc.nat(2), fc.nat(10_000), fc.array(fc.tuple(fc.nat(20), fc.nat(6)), { maxLength: 4 }), (script, w, r, when, lowerings) => {
      const nodes = simulate(script);
      const told = { ...nodes[w].history[when % nodes[w].history.length] };
      // A refill lowers entries below what the clock counts: the clock is then no longer causally closed.
      const origins = Object.keys(told);
      for (const [pick, by] of lowerings) if (origins.length > 0) told[origins[pick % origins.length]] = Math.max(0, told[origins[pick % origins.length]] - by);
      const retiring = nodes[r].retiring;
      const stored = foldExact(told, retiring);
      if (Object.keys(stored).length < Object.keys(told).length) folded++;
      return sameClock(unfoldRetired(stored, retiring), told);
    }),
    { numRuns: 300 },
  );
  t.ok(folded > 0, `some runs left entries out (${folded})`);
  const retiring = new Map([['a~1', [{ origin: 'a~2', seq: 1, final: 9 }]]]);
  t.same(foldExact({ 'a~1': 9, 'a~2': 3 }, retiring), { 'a~2': 3 }, 'an entry at the final seq of a retirement the clock counts is left out');
  t.same(foldExact({ 'a~1': 5, 'a~2': 3 }, retiring), { 'a~1': 5, 'a~2': 3 }, 'one lowered below it is kept');
  t.same(foldExact({ 'a~2': 3 }, retiring), { 'a~1': 0, 'a~2': 3 }, 'one missing where the clock counts the retirement is written as 0');
  t.same(foldExact({ 'a~1': 9 }, retiring), { 'a~1': 9 }, 'a clock that does not count the retirement keeps it');
});
