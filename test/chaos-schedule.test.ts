import t from 'tap';
import { parseChaosArgs } from '../nodes/chaos/chaos-args.js';
import { FAULT_KINDS, ISOLATED_RESTART_MIN_MS, planSchedule, type PlannedFault } from '../nodes/chaos/fault-schedule.js';

const FIVE = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** Which nodes each node still reaches once the fault's cuts are in place. */
function reach(fault: PlannedFault, nodes: readonly string[]): Map<string, string[]> {
  const cut = new Set(fault.cuts.flatMap(([a, b]) => [`${a}|${b}`, `${b}|${a}`]));
  return new Map(nodes.map((a) => [a, nodes.filter((b) => b !== a && !cut.has(`${a}|${b}`))]));
}

function first(kind: PlannedFault['kind'], seed = 1, nodes = FIVE): PlannedFault {
  return planSchedule({ seed, nodes, durationMs: 10_000, kinds: [kind] })[0]!;
}

t.test('a seed names one schedule; another seed another', async (t) => {
  const spec = { nodes: FIVE, durationMs: 60_000 };
  t.same(planSchedule({ ...spec, seed: 42 }), planSchedule({ ...spec, seed: 42 }));
  t.notSame(planSchedule({ ...spec, seed: 42 }).map((f) => f.kind), planSchedule({ ...spec, seed: 43 }).map((f) => f.kind));
});

t.test('the n-th fault of a seed does not depend on the duration or the rounds asked for', async (t) => {
  const short = planSchedule({ seed: 7, nodes: FIVE, durationMs: 5_000 });
  const long = planSchedule({ seed: 7, nodes: FIVE, durationMs: 600_000, rounds: 200 });
  t.ok(long.length >= 200);
  t.same(long.slice(0, short.length), short);
});

t.test('a schedule uses only the kinds allowed, and all of them over a long run', async (t) => {
  const kinds = planSchedule({ seed: 3, nodes: FIVE, durationMs: 600_000, kinds: ['wipe', 'pause'] }).map((f) => f.kind);
  t.same([...new Set(kinds)].sort(), ['pause', 'wipe']);
  t.same([...new Set(planSchedule({ seed: 3, nodes: FIVE, durationMs: 3_600_000 }).map((f) => f.kind))].sort(), [...FAULT_KINDS].sort());
});

t.test('partitions have their shapes', async (t) => {
  const isolate = reach(first('isolate'), FIVE);
  const alone = first('isolate').nodes[0]!;
  t.same(isolate.get(alone), [], 'the isolated node reaches nobody');
  t.ok(FIVE.filter((n) => n !== alone).every((n) => isolate.get(n)!.length === 3), 'the others reach each other');

  const split = first('split');
  const sides = reach(split, FIVE);
  t.equal(split.nodes.length, 2, 'a minority of two');
  t.ok(split.nodes.every((n) => sides.get(n)!.length === 1), 'the minority reaches only itself');
  t.ok(FIVE.filter((n) => !split.nodes.includes(n)).every((n) => sides.get(n)!.length === 2), 'the majority reaches only itself');

  const minority = first('minority');
  t.ok(minority.nodes.every((n) => reach(minority, FIVE).get(n)!.length === 0), 'each node of a minority is cut off alone');

  const ring = reach(first('ring'), FIVE);
  t.ok(FIVE.every((n) => ring.get(n)!.length === 2), 'in a ring of five, each node reaches two: with itself, a majority');
  t.ok(FIVE.some((a) => FIVE.some((b) => a !== b && ring.get(a)!.join() !== ring.get(b)!.join())), 'the majorities differ');
  const three = reach(first('ring', 1, ['n1', 'n2', 'n3']), ['n1', 'n2', 'n3']);
  t.same([...three.values()].map((r) => r.length).sort(), [1, 1, 2], 'in a ring of three, two majorities overlap in one node');
});

t.test('an isolated restart stays cut off long enough for clients to publish to it', async (t) => {
  const fault = first('isolated-restart');
  t.ok(fault.holdMs >= ISOLATED_RESTART_MIN_MS);
  t.ok(fault.disk === 'wipe' || fault.disk === 'rewind');
  t.equal(fault.cuts.length, 4, 'cut from all four others');
});

t.test('chaos flags are checked', async (t) => {
  t.match(parseChaosArgs(['--app', 'a', '--nodes', '5', '--duration', '60', '--seed', '42', '--json']),
    { app: 'a', nodes: 5, durationMs: 60_000, seed: 42, json: true, faults: FAULT_KINDS, settleMs: 60_000, sessions: 3, rounds: undefined });
  t.same(parseChaosArgs(['--app', 'a', '--faults', 'wipe, kill']).faults, ['wipe', 'kill']);
  t.throws(() => parseChaosArgs(['--app', 'a', '--faults', 'meteor']), { code: 'TROUPE_BAD_FLAGS', message: /unknown fault meteor/ });
  t.throws(() => parseChaosArgs(['--nodes', '3']), { code: 'TROUPE_BAD_FLAGS', message: /--app is required/ });
  t.throws(() => parseChaosArgs(['--app', 'a', '--nodes', '1']), { code: 'TROUPE_BAD_FLAGS', message: /--nodes/ });
  t.throws(() => parseChaosArgs(['--app', 'a', '--token', 'x']), { code: 'TROUPE_BAD_FLAGS' });
});
