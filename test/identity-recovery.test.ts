import t from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import { Fabric, type PeerLink } from '../runtime/fabric.js';
import { Host } from '../runtime/host.js';
import { IdentityRecovery } from '../runtime/identity-recovery.js';
import { Store } from '../runtime/store.js';

const silent = pino({ level: 'silent' });

function setup(probeMs: number, maxWaitMs = 60_000) {
  const clock = new SimulatedClock();
  let ended = 0;
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: 'info' }, stream);
  const recovery = new IdentityRecovery({ id: 'n1', log, clock, probeMs, maxWaitMs, onResume: () => ended++ });
  return { clock, recovery, ended: () => ended, records };
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

t.test('a peer that claims more of our events and leaves without sending them no longer holds us back', async (t) => {
  const { recovery, ended } = setup(0);
  recovery.peerHolds('liar', Number.MAX_SAFE_INTEGER, 3);
  recovery.peerHolds('honest', 5, 3);
  t.ok(recovery.recovering(3));
  recovery.peerGone('liar');
  t.equal(recovery.recoverTo, 5, 'the claim of the peer still linked stands');
  t.ok(recovery.recovering(4));
  recovery.peerGone('honest');
  t.notOk(recovery.recovering(4), 'no peer left to fetch from: stamping resumes');
  t.equal(ended(), 1, 'held work is told it may go ahead');
});

t.test('recovery waits at most maxWaitMs, then logs an error and goes on', async (t) => {
  const { clock, recovery, ended, records } = setup(0, 60_000);
  recovery.peerHolds('p', Number.MAX_SAFE_INTEGER, 3);
  clock.increment(59_999);
  t.ok(recovery.recovering(3), 'still waiting just before the bound');
  clock.increment(1);
  t.notOk(recovery.recovering(3), 'gave up at the bound');
  t.equal(ended(), 1);
  t.match(records.filter((r) => r.level === 50), [{ code: 'TROUPE_NODE_RECOVERING', peers: ['p'] }], 'one error says so');
  recovery.peerHolds('p', Number.MAX_SAFE_INTEGER, 3);
  t.notOk(recovery.recovering(3), 'the same claim again is not waited for a second time');
});

t.test('a recovery that completes in time gives up nothing', async (t) => {
  const { clock, recovery, records } = setup(0, 60_000);
  recovery.peerHolds('p', 9, 3);
  t.ok(recovery.recovering(8));
  t.notOk(recovery.recovering(9), 'the log has them back');
  clock.increment(120_000);
  t.same(records.filter((r) => r.level === 50), [], 'no error');
});

t.test('one want frame claiming 2^53-1 of our events holds publishes only until that peer\'s link goes down', async (t) => {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  const host = new Host({ services: [], schedule: () => {} });
  const fabric = new Fabric({ id: 'n1', store, host, log: silent, vc: {}, acks: new Map() });
  t.teardown(async () => {
    await fabric.stop();
    await store.close();
  });
  const link: PeerLink = { peer: 'n2', send: () => {}, bufferedAmount: 0, close: () => {}, pause: () => {}, resume: () => {} };
  fabric.linkUp(link);
  fabric.receive(link, { type: 'want', vc: { n1: Number.MAX_SAFE_INTEGER } });
  await t.rejects(fabric.publish({ type: 'Ping' }), { code: 'TROUPE_NODE_RECOVERING' });
  fabric.linkDown(link);
  t.match(await fabric.publish({ type: 'Ping' }), { seq: 1 }, 'the peer left without delivering: publishing goes on');
});
