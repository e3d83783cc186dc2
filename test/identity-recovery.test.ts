import t from 'tap';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import { IdentityRecovery } from '../runtime/identity-recovery.js';

const silent = pino({ level: 'silent' });

function setup(probeMs: number) {
  const clock = new SimulatedClock();
  let ended = 0;
  const recovery = new IdentityRecovery({ id: 'n1', log: silent, clock, probeMs, onProbeEnd: () => ended++ });
  return { clock, recovery, ended: () => ended };
}

t.test('a node without a probe may stamp at once', async (t) => {
  const { recovery, ended } = setup(0);
  t.notOk(recovery.recovering(0));
  t.equal(ended(), 0);
});

t.test('a node with peers stamps nothing until probeMs passed without a peer clock', async (t) => {
  const { clock, recovery, ended } = setup(5000);
  t.ok(recovery.recovering(3), 'probing at start');
  clock.increment(4999);
  t.ok(recovery.recovering(3), 'still probing just before');
  clock.increment(1);
  t.notOk(recovery.recovering(3), 'the probe ended');
  t.equal(ended(), 1, 'and said so once');
});

t.test('a peer clock that holds no more of our events ends the probe', async (t) => {
  const { clock, recovery, ended } = setup(5000);
  recovery.peerHolds('p', 3, 3);
  t.notOk(recovery.recovering(3));
  t.equal(ended(), 1);
  clock.increment(5000);
  t.equal(ended(), 1, 'the probe timer was cancelled');
});

t.test('a peer holding more of our events keeps us recovering until the log has them back', async (t) => {
  const { recovery } = setup(5000);
  recovery.peerHolds('p', 9, 3);
  t.equal(recovery.recoverTo, 9);
  t.ok(recovery.recovering(3), 'own log at 3 of 9');
  recovery.peerHolds('q', 7, 3);
  t.equal(recovery.recoverTo, 9, 'a peer holding fewer does not lower the target');
  t.ok(recovery.recovering(8));
  t.notOk(recovery.recovering(9), 'back at 9: stamping resumes');
});

t.test('stop cancels the probe timer', async (t) => {
  const { clock, recovery, ended } = setup(5000);
  recovery.stop();
  clock.increment(10_000);
  t.equal(ended(), 0);
});
