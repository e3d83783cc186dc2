/**
 * Pins that `troupe/testing` runs a choreography under a retention policy, and what a
 * member that was cut off across a hard-cap compaction does when it comes back: it takes
 * what a peer still holds from that peer, and counts only what no peer holds any more as
 * lost, after which its services get every new event. A small app: `bell` actors on node
 * a ring a second after `Ring`, a `tally` on node b lists what rang; node c hosts nothing.
 */
import t from 'tap';
import { simulateCluster, type SimulatedCluster } from '../testing/index.js';
import { bells as bellsOnAB, rung } from './helpers/bells-app.js';

/** The bells app with node c, which hosts nothing. */
const bells = { ...bellsOnAB, placement: { ...bellsOnAB.placement, c: [] } };

/** Keeps 4 events, and past 600 bytes of log removes the oldest even if a member lacks them. */
const TIGHT = { maxEvents: 4, capBytes: 600 };

/** Rings `ids` on a, and lets their bells ring. */
async function ring(sim: SimulatedCluster, ids: string[]): Promise<void> {
  for (const id of ids) await sim.publish('a', { type: 'Ring', data: { id } });
  await sim.settle();
  await sim.advance(1000);
  await sim.settle();
}

const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

t.test('a member cut off across a hard-cap compaction counts what no peer holds as lost and goes on', async (t) => {
  const sim = await simulateCluster({ app: bells, nodes: ['a', 'b', 'c'], retentionOf: { a: TIGHT, c: TIGHT } });
  t.teardown(() => sim.stop());
  sim.cut('b');
  for (let round = 0; round < 4; round++) {
    await ring(sim, ids(`x${round}-`, 4));
    await sim.advance(2000); // compaction passes
  }
  for (const node of ['a', 'c']) t.ok(sim.retained(node).first > 1, `${node} removed events b lacks, past its hard cap`);
  t.equal(sim.status('a').peers.find((p) => p.id === 'b')?.behindRetention, undefined, 'b has not asked yet');

  sim.heal('b');
  await sim.settle();
  t.ok(sim.status('b').lost?.pending ?? 0 > 0, 'b waits for what a and c no longer hold');
  t.equal(sim.status('a').peers.find((p) => p.id === 'b')?.behindRetention, true, 'a marks b behind its retention');
  await sim.advance(5000); // the grace period (stallMs)
  await sim.settle();
  const lost = sim.status('b').lost;
  t.ok((lost?.events ?? 0) > 0, `b counted events as lost (${lost?.events})`);
  t.equal(lost?.pending, 0, 'and waits for nothing more');
  t.match(lost, { fromPeer: /^[ac]$/, at: Number });
  t.ok(rung(sim).length > 0 && rung(sim).length < 16, `b's tally got the retained Rang events only (${rung(sim).length} of 16)`);
  t.same(rung(sim), [...rung(sim)].sort(), 'in the order they rang');

  await ring(sim, ['after']);
  t.equal(rung(sim).at(-1), 'after', 'an event published after b came back reaches its tally');
  await sim.advance(10_000);
  t.ok(sim.converged(), 'every node has one clock and nothing waits');
  t.equal(sim.status('b').log.buffered, 0, 'nothing stays in b\'s causal buffer');
  t.notOk(sim.status('a').peers.find((p) => p.id === 'b')?.behindRetention, 'a no longer marks b behind: its clock counts what was removed');
});

t.test('a member whose lack another peer still holds gets it from that peer and loses nothing', async (t) => {
  // Only a compacts; c keeps everything and relays a's events to b while a cannot send them.
  const sim = await simulateCluster({ app: bells, nodes: ['a', 'b', 'c'], retentionOf: { a: TIGHT } });
  t.teardown(() => sim.stop());
  sim.cut('b');
  await ring(sim, ids('y', 12));
  await sim.advance(2000);
  t.ok(sim.retained('a').first > 1, 'a removed events b lacks');
  t.equal(sim.retained('c').first, 1, 'c keeps everything');

  sim.heal('b');
  await sim.settle();
  await sim.advance(10_000);
  await sim.settle();
  t.same(rung(sim).sort(), ids('y', 12).sort(), 'b\'s tally heard every bell');
  t.equal(sim.status('b').lost, undefined, 'b lost nothing');
  await ring(sim, ['after']);
  t.equal(rung(sim).at(-1), 'after');
  t.ok(sim.converged(), 'every node has one clock');
});
