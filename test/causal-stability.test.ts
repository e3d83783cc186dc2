import t from 'tap';
import fc from 'fast-check';
import type { VectorClock } from '../protocol/envelope.js';
import { isStable, stableClock, type Member } from '../runtime/causal-stability.js';
import { selectRemoval } from '../runtime/log-compaction.js';
import { pastCap, type RetentionPolicy } from '../runtime/retention-policy.js';
import type { LoggedCommit } from '../runtime/store.js';

const ORIGINS = ['a~1', 'b~1', 'c~1'];

t.test('the stable clock is the least any member acknowledged durably', async (t) => {
  const members: Member[] = [
    { id: 'b', acked: { 'a~1': 5, 'b~1': 3 }, durable: true },
    { id: 'c', acked: { 'a~1': 2, 'b~1': 9, 'c~1': 4 }, durable: true },
  ];
  t.same(stableClock(members), { 'a~1': 2, 'b~1': 3 }, 'per origin the minimum; an origin one member lacks is not stable');
  t.same(stableClock([...members, { id: 'r', acked: { 'a~1': 9, 'b~1': 9 }, durable: false }]), {}, 'a relaxed member counts as having nothing');
  t.equal(stableClock([]), null, 'with no member, everything is stable');
  t.ok(isStable(null, 'a~1', 100));
  t.ok(isStable({ 'a~1': 2 }, 'a~1', 2));
  t.notOk(isStable({ 'a~1': 2 }, 'a~1', 3));
  t.notOk(isStable({ 'a~1': 2 }, 'b~1', 1));
});

/** A log of `sizes.length` commits, events from the origins in turn, `ts` = position. */
function logOf(sizes: readonly number[], bytes: number): { commits: LoggedCommit[]; clock: VectorClock } {
  const clock: Record<string, number> = {};
  const commits: LoggedCommit[] = [];
  let pos = 1;
  for (const size of sizes) {
    const entries = [];
    for (let i = 0; i < size; i++, pos++) {
      const origin = ORIGINS[pos % ORIGINS.length];
      clock[origin] = (clock[origin] ?? 0) + 1;
      entries.push({ pos, origin, seq: clock[origin], correlationId: `${origin}:${clock[origin]}`, ts: pos, bytes });
    }
    commits.push({ start: pos - size, entries });
  }
  return { commits, clock };
}

const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record(
  {
    maxAgeMs: fc.integer({ min: 1, max: 300 }),
    maxEvents: fc.integer({ min: 1, max: 200 }),
    maxBytes: fc.integer({ min: 100, max: 20_000 }),
    capBytes: fc.integer({ min: 2_000, max: 40_000 }),
  },
  { requiredKeys: [] },
);

/** One step of a schedule: a member acknowledges up to a fraction of the log, or compaction passes. */
const stepArb = fc.oneof(
  fc.record({ kind: fc.constant('ack' as const), member: fc.nat(3), upTo: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('compact' as const) }),
);

t.test('compaction never removes an entry a known member lacks, unless the log is past its hard cap', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 10, max: 400 }),
      fc.array(fc.boolean(), { minLength: 0, maxLength: 4 }),
      policyArb,
      fc.array(stepArb, { maxLength: 40 }),
      (sizes, bytes, durability, policy, steps) => {
        const { commits } = logOf(sizes, bytes);
        const all = commits.flatMap((c) => c.entries);
        const members: { id: string; acked: Record<string, number>; durable: boolean }[] = durability.map((durable, i) => ({ id: `m${i}`, acked: {}, durable }));
        let retained = commits;
        for (const step of steps) {
          if (step.kind === 'ack') {
            const m = members[step.member % Math.max(1, members.length)];
            if (m === undefined) continue;
            // A member acknowledges a causal prefix of the log: what it got in delivery order.
            for (const e of all.slice(0, Math.floor(step.upTo * all.length))) m.acked[e.origin] = Math.max(m.acked[e.origin] ?? 0, e.seq);
            continue;
          }
          const events = retained.reduce((n, c) => n + c.entries.length, 0);
          const log = { events, bytes: events * bytes, now: all.length + 100 };
          const stable = stableClock(members);
          const removal = selectRemoval(retained, policy, log, stable);
          let left = log;
          let forced = 0;
          for (const commit of retained.slice(0, removal.commits)) {
            const lacking = commit.entries.filter((e) => members.some((m) => !m.durable || (m.acked[e.origin] ?? 0) < e.seq));
            if (lacking.length > 0) {
              if (!pastCap(policy, left)) return false; // removed what a member lacks below the cap
              forced += lacking.length;
            }
            const n = commit.entries.length;
            left = { ...left, events: left.events - n, bytes: left.bytes - n * bytes };
          }
          if (forced !== removal.forced) return false;
          retained = retained.slice(removal.commits);
        }
        return true;
      },
    ),
    { numRuns: 500 },
  );
});

t.test('without a cap, what remains holds at least what every count and size limit keeps', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 200 }), (sizes, maxEvents) => {
      const { commits } = logOf(sizes, 10);
      const events = commits.reduce((n, c) => n + c.entries.length, 0);
      const removal = selectRemoval(commits, { maxEvents }, { events, bytes: events * 10, now: 0 }, null);
      return removal.forced === 0 && (removal.events === 0 || events - removal.events >= maxEvents);
    }),
  );
});

t.test('a relaxed member holds every entry back until the hard cap', async (t) => {
  const { commits } = logOf([5, 5, 5, 5], 100);
  const everything = { 'a~1': 99, 'b~1': 99, 'c~1': 99 };
  const members: Member[] = [
    { id: 'm1', acked: everything, durable: true },
    { id: 'm2', acked: everything, durable: false },
  ];
  const log = { events: 20, bytes: 2000, now: 10_000 };
  t.equal(selectRemoval(commits, { maxEvents: 5 }, log, stableClock(members)).commits, 0, 'nothing goes on a non-durable ack');
  t.equal(selectRemoval(commits, { maxEvents: 5 }, log, stableClock(members.slice(0, 1))).commits, 3, 'durable acks let all but the newest 5 go');
  const capped = selectRemoval(commits, { maxEvents: 5, capBytes: 1500 }, log, stableClock(members));
  t.same([capped.commits, capped.forced], [1, 5], 'past the cap the oldest commit goes all the same, counted as forced');
});
