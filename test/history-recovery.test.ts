import t, { type Test } from 'tap';
import { Writable } from 'node:stream';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import { Fabric, type PeerLink } from '../runtime/fabric.js';
import { HistoryRecovery } from '../runtime/history-recovery.js';
import { Host } from '../runtime/host.js';
import { Store } from '../runtime/store.js';

const silent = pino({ level: 'silent' });

/** Node n1 stamping under `n1~now`, with no service, over a fresh store; stopped with `t`. */
async function nodeN1(t: Test): Promise<Fabric> {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  const host = new Host({ services: [], schedule: () => {} });
  const fabric = new Fabric({ id: 'n1', origin: 'n1~now', store, host, log: silent });
  t.teardown(async () => {
    await fabric.stop();
    await store.close();
  });
  return fabric;
}

/** A link to `peer` running as `origin` that sends nothing; `interest` makes it a partial peer. */
function linkTo(peer: string, origin: string, interest?: string[]): PeerLink {
  return { peer, origin, ...(interest === undefined ? {} : { interest }), send: () => {}, bufferedAmount: 0, close: () => {}, pause: () => {}, resume: () => {} };
}

function setup(maxWaitMs = 60_000, held = false, members: string[] = []) {
  const clock = new SimulatedClock();
  let changes = 0;
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level: 'info' }, stream);
  const recovery = new HistoryRecovery({ node: 'n1', origin: 'n1~now', log, clock, maxWaitMs, held, onChange: () => changes++, members: () => members });
  return { clock, recovery, changes: () => changes, records };
}

t.test('a node that heard no peer claim holds nothing', async (t) => {
  const { recovery } = setup();
  t.notOk(recovery.waiting({}));
  t.notOk(recovery.rebuildDue({}));
});

t.test('only events of this node\'s earlier origins that the log lacks are claims', async (t) => {
  const { recovery } = setup();
  recovery.peerClock('n2', { 'n1~now': 99, n2: 50, 'n3~x': 7, 'n1~old': 4 }, { 'n1~old': 4 });
  t.notOk(recovery.waiting({ 'n1~old': 4 }), 'the current origin, other nodes and what the log has claim nothing');
  recovery.peerClock('n2', { 'n1~old': 6, 'n1~older': 2 }, { 'n1~old': 4 });
  t.same(recovery.claimed(), { 'n1~old': 6, 'n1~older': 2 });
  t.ok(recovery.waiting({ 'n1~old': 6 }), 'n1~older is still missing');
  t.notOk(recovery.waiting({ 'n1~old': 6, 'n1~older': 2 }), 'the log covers every claim');
});

t.test('the actors are rebuilt once events were held and every claim is covered', async (t) => {
  const { recovery } = setup();
  recovery.peerClock('n2', { 'n1~old': 3 }, {});
  recovery.hold();
  t.notOk(recovery.rebuildDue({ 'n1~old': 2 }), 'still waiting for n1~old:3');
  t.ok(recovery.rebuildDue({ 'n1~old': 3 }));
  recovery.rebuilt();
  t.notOk(recovery.held);
  t.notOk(recovery.rebuildDue({ 'n1~old': 3 }));
});

t.test('a store that says events were held asks for a rebuild at once when it knows of no member', async (t) => {
  const { recovery } = setup(60_000, true);
  t.ok(recovery.rebuildDue({}));
});

t.test('a store that says events were held rebuilds only once every member told its clock: the disk may be a copy taken while an earlier start held', async (t) => {
  const { recovery, changes, records } = setup(60_000, true, ['n2', 'n3']);
  t.notOk(recovery.rebuildDue({ 'n1~old': 7 }), 'no member heard yet: an earlier start may have rebuilt and emitted after this disk was copied');
  t.match(records.filter((r) => r.level === 40), [{ code: 'TROUPE_NODE_RECOVERING' }], 'a warning says why the actors wait');
  recovery.peerClock('n2', { 'n1~old': 7 }, { 'n1~old': 7 });
  t.equal(changes(), 1, 'each member heard is a change');
  t.notOk(recovery.rebuildDue({ 'n1~old': 7 }), 'n3 not heard yet');
  recovery.peerClock('n3', { 'n1~old': 9 }, { 'n1~old': 7 });
  t.notOk(recovery.rebuildDue({ 'n1~old': 7 }), 'n3 holds what the earlier start emitted after the copy');
  t.ok(recovery.rebuildDue({ 'n1~old': 9 }), 'the log has it back: the rebuild matches it instead of stamping it again');
});

t.test('a start that found events held and hears no member rebuilds at the deadline', async (t) => {
  const { clock, recovery, changes, records } = setup(60_000, true, ['n2']);
  clock.increment(59_999);
  t.notOk(recovery.rebuildDue({}), 'still waiting just before the bound');
  clock.increment(1);
  t.ok(recovery.rebuildDue({}), 'gave up at the bound');
  t.equal(changes(), 1, 'the fabric is told');
  t.match(records.filter((r) => r.level === 50), [{ code: 'TROUPE_NODE_RECOVERING', unheard: ['n2'] }]);
});

t.test('a peer that claims more of our events and leaves without sending them no longer holds us back', async (t) => {
  const { recovery, changes } = setup();
  recovery.peerClock('liar', { 'n1~old': Number.MAX_SAFE_INTEGER }, {});
  recovery.peerClock('honest', { 'n1~old': 5 }, {});
  recovery.peerGone('liar');
  t.same(recovery.claimed(), { 'n1~old': 5 }, 'the claim of the peer still linked stands');
  t.ok(recovery.waiting({ 'n1~old': 4 }));
  recovery.peerGone('honest');
  t.notOk(recovery.waiting({ 'n1~old': 4 }), 'no peer left to fetch from');
  t.equal(changes(), 2, 'the fabric is told each time');
});

t.test('recovery waits at most maxWaitMs, then logs an error and goes on', async (t) => {
  const { clock, recovery, changes, records } = setup(60_000);
  recovery.peerClock('p', { 'n1~old': Number.MAX_SAFE_INTEGER }, {});
  clock.increment(59_999);
  t.ok(recovery.waiting({}), 'still waiting just before the bound');
  clock.increment(1);
  t.notOk(recovery.waiting({}), 'gave up at the bound');
  t.equal(changes(), 1);
  t.match(records.filter((r) => r.level === 50), [{ code: 'TROUPE_NODE_RECOVERING', peers: ['p'] }], 'one error says so');
});

t.test('once one peer shows the disk lost history, the actors also wait to hear from every other member', async (t) => {
  const { recovery, changes } = setup(60_000, false, ['n2', 'n3']);
  recovery.peerClock('n3', { 'n1~old': 10 }, { 'n1~old': 8 });
  t.ok(recovery.waiting({ 'n1~old': 10 }), 'n3\'s claim is covered, but n2 may hold later events of n1~old');
  t.same(recovery.unheard(), ['n2']);
  recovery.peerClock('n2', { 'n1~old': 11 }, { 'n1~old': 10 });
  t.ok(recovery.waiting({ 'n1~old': 10 }), 'n2 holds n1~old:11, which the log lacks');
  t.notOk(recovery.waiting({ 'n1~old': 11 }), 'every member told its clock and the log covers every claim');
  t.ok(changes() === 0, 'nothing was dropped or given up');
});

t.test('a member that tells it holds nothing more releases the wait, and the fabric is told', async (t) => {
  const { recovery, changes } = setup(60_000, false, ['n2', 'n3']);
  recovery.peerClock('n3', { 'n1~old': 10 }, { 'n1~old': 8 });
  t.ok(recovery.waiting({ 'n1~old': 10 }));
  recovery.peerClock('n2', { 'n1~old': 9 }, { 'n1~old': 10 });
  t.equal(changes(), 1, 'hearing from the last member is a change');
  t.notOk(recovery.waiting({ 'n1~old': 10 }));
});

t.test('without any claim a start waits for no member: a restart with its disk whole goes on at once', async (t) => {
  const { recovery } = setup(60_000, false, ['n2', 'n3']);
  recovery.peerClock('n3', { 'n1~old': 8 }, { 'n1~old': 8 });
  t.notOk(recovery.waiting({ 'n1~old': 8 }), 'n2 has not linked, and nothing says the disk lost anything');
});

t.test('a member that never links is given up at the deadline, named in the error', async (t) => {
  const { clock, recovery, records } = setup(60_000, false, ['n2', 'n3']);
  recovery.peerClock('n3', { 'n1~old': 10 }, { 'n1~old': 8 });
  t.ok(recovery.waiting({ 'n1~old': 10 }));
  clock.increment(60_000);
  t.notOk(recovery.waiting({ 'n1~old': 10 }), 'gave up on n2 at the bound');
  t.match(records.filter((r) => r.level === 50), [{ code: 'TROUPE_NODE_RECOVERING', unheard: ['n2'] }]);
});

t.test('a recovery that completes in time gives up nothing', async (t) => {
  const { clock, recovery, records } = setup(60_000);
  recovery.peerClock('p', { 'n1~old': 9 }, { 'n1~old': 3 });
  t.ok(recovery.waiting({ 'n1~old': 8 }));
  t.notOk(recovery.waiting({ 'n1~old': 9 }), 'the log has them back');
  clock.increment(120_000);
  t.same(records.filter((r) => r.level === 50), [], 'no error');
});

t.test('a node told that peers hold its earlier events keeps taking publishes, and holds its actors until the claim is dropped', async (t) => {
  const fabric = await nodeN1(t);
  const link = linkTo('n2', 'n2~b');
  fabric.linkUp(link);
  fabric.receive(link, { type: 'want', vc: { 'n1~old': Number.MAX_SAFE_INTEGER } });
  t.match(await fabric.publish({ type: 'Ping' }), { origin: 'n1~now', seq: 1 }, 'stamped under the current origin at once');
  t.ok(fabric.recovering, 'the actors wait');
  fabric.linkDown(link);
  await fabric.idle();
  t.notOk(fabric.recovering, 'the peer left without delivering: the actors were rebuilt and go on');
});

t.test('a partial peer\'s clock is no claim: it relays nothing of other nodes, so the actors do not wait for it', async (t) => {
  const fabric = await nodeN1(t);
  const device = linkTo('d1', 'd1~b', ['alert.d1']);
  fabric.linkUp(device);
  fabric.receive(device, { type: 'want', vc: { 'n1~old': 5 } });
  t.notOk(fabric.recovering, 'the partial peer holds n1~old events, but would never send them');
  const full = linkTo('gw', 'gw~c');
  fabric.linkUp(full);
  fabric.receive(full, { type: 'want', vc: { 'n1~old': 5 } });
  t.ok(fabric.recovering, 'a peer that wants everything is waited for');
});
