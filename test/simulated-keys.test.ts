/**
 * `troupe/testing` runs its nodes with node keys, as a production cluster does: every
 * event crosses a simulated link behind its origin's signed checkpoint, and the keys come
 * from the seed, so a seed replays the same bytes.
 */
import t from 'tap';
import { verifyProof, type ProofFrame } from '../protocol/origin-proof.js';
import { simulateCluster, type Delivery } from '../testing/index.js';
import { SIMULATED_CLUSTER, simulatedIdentities } from '../testing/simulated-keys.js';
import { bells } from './helpers/bells-app.js';

t.test('a simulated node sends each event behind its origin\'s checkpoint, which its peer verifies under the trust list', async (t) => {
  const sim = await simulateCluster({ app: bells, seed: 3 });
  t.teardown(() => sim.stop());
  await sim.publish('a', { type: 'Ring', data: { id: 'x' } });
  const delivered: Delivery[] = [];
  while (!sim.converged() || delivered.length === 0) {
    const step = await sim.deliver();
    if (step.length === 0) break;
    delivered.push(...step);
  }
  await sim.settle();
  const proofs = delivered.filter((d) => d.frame.type === 'proof').map((d) => d.frame as ProofFrame);
  const events = delivered.filter((d) => d.frame.type === 'events');
  t.ok(events.length > 0, 'the event went from a to b');
  t.ok(proofs.length > 0, 'behind a checkpoint');
  t.ok(delivered.findIndex((d) => d.frame.type === 'proof') < delivered.findIndex((d) => d.frame.type === 'events'), 'sent ahead of it');
  const b = simulatedIdentities(3, ['a', 'b']).get('b')!;
  t.ok(proofs.every((p) => verifyProof(b, SIMULATED_CLUSTER, p)), 'signed by a\'s key, as the trust list drawn from the seed says');
  t.ok(proofs.every((p) => p.types !== undefined), 'and signing its events\' types');
});

t.test('the keys come from the seed: the same seed, the same keys; another seed, others', async (t) => {
  const key = (seed: number) => simulatedIdentities(seed, ['a', 'b']).get('a')!.trust.textOf('a');
  t.equal(key(1), key(1));
  t.not(key(1), key(2));
});
