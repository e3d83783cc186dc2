/**
 * Origin checkpoints: what one signs, what a receiver believes, and how a node's book of
 * them signs its own events, checks its peers' and finds them again for relaying.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { encodeEvent } from '../protocol/event-codec.js';
import { ENVELOPE_SCHEMA, type EncodedEvent } from '../protocol/envelope.js';
import { NodeIdentity, newNodeKey, TrustList } from '../protocol/node-keys.js';
import { lengthPrefixed } from '../protocol/handshake-signature.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import { eventHash, lastSeq, provesEvent, provesRun, signProof, verifyProof, type ProofFrame } from '../protocol/origin-proof.js';
import { OriginProofs } from '../runtime/origin-proofs.js';
import { Store } from '../runtime/store.js';
import { codeOf } from './helpers/codec-fixtures.js';

const k1 = newNodeKey().key;
const k2 = newNodeKey().key;
const trust = TrustList.parse(TrustList.format([['n1', k1.publicKey], ['n2', k2.publicKey]]), 'trust');
const n1 = new NodeIdentity('n1', k1, trust);
const n2 = new NodeIdentity('n2', k2, trust);

function runOf(events: readonly EncodedEvent[]): Uint8Array {
  return signProof(n1, 'c', 'n1', 4, events).digest!;
}

function event(origin: string, seq: number, data: unknown = { seq }): EncodedEvent {
  const id = `${origin}:${seq}`;
  return encodeEvent({ type: 'Ping', data, origin, seq, vc: { [origin]: seq }, correlationId: id, causationId: null, ts: 1, schema: ENVELOPE_SCHEMA });
}

t.test('a checkpoint proves exactly the events it lists, under its origin\'s key and cluster', async (t) => {
  const events = [event('n1', 4), event('n1', 5)];
  const proof = signProof(n1, 'c', 'n1', 4, events);
  t.equal(lastSeq(proof), 5);
  const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();
  t.same(proof.hashes, Buffer.concat(events.map(sha256)), 'it lists the SHA-256 of each event');
  t.same(eventHash(events[0]), sha256(events[0]));
  t.ok(verifyProof(n2, 'c', proof), 'n2 believes n1 signed it');
  t.notOk(verifyProof(n2, 'other', proof), 'not for another cluster');
  t.notOk(verifyProof(n2, 'c', { ...proof, origin: 'n2' }), 'not as n2\'s');
  t.notOk(verifyProof(n2, 'c', { ...proof, first: 5 }), 'not moved to other seqs');
  t.ok(provesEvent(proof, 5, events[1]), 'event 5 matches');
  t.notOk(provesEvent(proof, 4, events[1]), 'event 5\'s bytes are not event 4');
  t.notOk(provesEvent(proof, 6, events[1]), 'seq 6 is not listed');
  t.notOk(provesEvent(proof, 5, event('n1', 5, { seq: 'altered' })), 'altered bytes do not match');
  t.ok(verifyProof(n2, 'c', signProof(n1, 'c', 'n1~V1StGX', 1, [event('n1', 1)])), 'an incarnation origin is signed by its node\'s key');
});

t.test('a checkpoint\'s run digest proves its whole run at once, and only that run', async (t) => {
  const events = [event('n1', 4), event('n1', 5), event('n1', 6)];
  const proof = signProof(n1, 'c', 'n1', 4, events);
  t.ok(provesRun(proof, events), 'the whole run matches');
  t.notOk(provesRun(proof, events.slice(0, 2)), 'a part of it does not');
  t.notOk(provesRun(proof, [events[0], events[2], events[1]]), 'nor the run reordered');
  t.notOk(provesRun(proof, [events[0], event('n1', 5, { seq: 'altered' }), events[2]]), 'nor with one event altered');
  t.notOk(provesRun(proof, [Buffer.concat([events[0], events[1]]), Buffer.alloc(0), events[2]]), 'nor the same bytes split otherwise');
  t.notOk(verifyProof(n2, 'c', { ...proof, digest: Buffer.alloc(32) }), 'the signature covers the digest');
});

t.test('a checkpoint signed before run digests (v1, five fields) still decodes and proves its events one by one', async (t) => {
  const events = [event('n1', 4), event('n1', 5)];
  const hashes = Buffer.concat(events.map(eventHash));
  const signature = n1.sign(lengthPrefixed(['troupe/origin-proof/v1', 'c', 'n1', '4', hashes]));
  const v1: ProofFrame = { type: 'proof', origin: 'n1', first: 4, hashes, signature };
  const bytes = encodeFrame(v1);
  t.equal(bytes[0], 0x95, 'written with five fields, as stored before');
  const read = decodeFrame(bytes) as ProofFrame;
  t.equal(read.digest, undefined, 'it has no run digest');
  t.ok(verifyProof(n2, 'c', read), 'its v1 signature verifies');
  t.notOk(verifyProof(n2, 'c', { ...read, digest: runOf(events) }), 'a digest added to it breaks the signature');
  t.notOk(provesRun(read, events), 'without a digest no run is proven at once');
  t.ok(provesEvent(read, 5, events[1]), 'each event is proven by its hash');
  t.notOk(provesEvent(read, 5, event('n1', 5, { seq: 'altered' })), 'an altered one is not');
});

t.test('a receiver refuses an altered event whether it checks the whole run or events one by one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-proofs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = await Store.open(dir, 'n2');
  t.teardown(() => store.close());
  const book = new OriginProofs({ identity: n2, cluster: 'c', store, origin: 'n2' });
  const events = [event('n1', 1), event('n1', 2), event('n1', 3)];
  book.receive(signProof(n1, 'c', 'n1', 1, events));
  const incoming = (list: readonly EncodedEvent[], from = 1) => list.map((bytes, i) => ({ origin: 'n1', seq: from + i, bytes }));
  const altered = [events[0], event('n1', 2, 'x'), events[2]];
  const allNew = (): boolean => true;
  t.match(codeOf(() => book.check(incoming(altered), allNew)), 'TROUPE_PEER_FORGED_EVENT', 'the whole run, one event altered');
  t.match(codeOf(() => book.check(incoming(altered.slice(1), 2), allNew)), 'TROUPE_PEER_FORGED_EVENT', 'part of the run, one event altered');
  t.match(codeOf(() => book.check(incoming(altered), (e) => e.seq !== 1)), 'TROUPE_PEER_FORGED_EVENT', 'the run with its first a duplicate');
  book.check(incoming(events), allNew);
  book.check(incoming(events.slice(1), 2), allNew);
  book.check(incoming(altered), (e) => e.seq !== 2);
  t.pass('the signed events pass, whole or in part, and an altered duplicate is dropped unchecked');
});

t.test('a node\'s checkpoint book signs its own events, checks its peers\' and finds both again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-proofs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = await Store.open(dir, 'n2');
  t.teardown(() => store.close());
  const book = new OriginProofs({ identity: n2, cluster: 'c', store, origin: 'n2' });
  const fromN1 = [event('n1', 1), event('n1', 2)];
  const allNew = (): boolean => true;

  t.equal(codeOf(() => book.check([{ origin: 'n1', seq: 1, bytes: fromN1[0] }], allNew)), 'TROUPE_PEER_FORGED_EVENT', 'an event with no checkpoint is refused');
  t.equal(codeOf(() => book.receive(signProof(n2, 'c', 'n1', 1, fromN1))), 'TROUPE_PEER_FORGED_EVENT', 'a checkpoint of n1 signed by n2 is refused');
  t.equal(codeOf(() => book.check([{ origin: 'n1', seq: 1, bytes: fromN1[0] }], allNew)), 'TROUPE_PEER_FORGED_EVENT', 'and proves nothing');

  const proof = signProof(n1, 'c', 'n1', 1, fromN1);
  book.receive(proof);
  book.receive(proof);
  book.check(fromN1.map((bytes, i) => ({ origin: 'n1', seq: i + 1, bytes })), allNew);
  t.pass('n1\'s events pass with n1\'s checkpoint');
  t.equal(codeOf(() => book.check([{ origin: 'n1', seq: 2, bytes: event('n1', 2, 'x') }], allNew)), 'TROUPE_PEER_FORGED_EVENT', 'an altered one does not');
  book.check([{ origin: 'n1', seq: 2, bytes: event('n1', 2, 'x') }], () => false);
  t.pass('a duplicate of a delivered event is not checked: it is dropped anyway');

  const own = [event('n2', 1), event('n2', 2), event('n2', 3)];
  const stored = [
    { pos: 1, origin: 'n1', seq: 1, correlationId: 'n1:1', bytes: fromN1[0] },
    { pos: 2, origin: 'n2', seq: 1, correlationId: 'n2:1', bytes: own[0] },
    { pos: 3, origin: 'n1', seq: 2, correlationId: 'n1:2', bytes: fromN1[1] },
    { pos: 4, origin: 'n2', seq: 2, correlationId: 'n2:2', bytes: own[1] },
    { pos: 5, origin: 'n2', seq: 3, correlationId: 'n2:3', bytes: own[2] },
    { pos: 6, origin: 'n2~old', seq: 1, correlationId: 'n2~old:1', bytes: event('n2~old', 1) },
  ];
  const proofs = book.forBatch(stored, { n1: 2, n2: 3, 'n2~old': 1 });
  t.same(
    proofs.map((p) => [p.origin, p.last]),
    [['n1', 2], ['n2', 3]],
    'the batch stores n1\'s checkpoint once and one new checkpoint of the events n2 stamped under its current origin, none of an earlier origin\'s',
  );
  t.same(book.forBatch([], { n1: 2, n2: 3 }), [], 'and not again');
  const ownProof = await book.covering('n2', 2);
  t.ok(ownProof && verifyProof(n1, 'c', ownProof) && provesEvent(ownProof, 2, own[1]), 'n2\'s checkpoint of its own events verifies for n1');

  await store.commit({ events: stored, vcBefore: {}, vc: { n1: 2, n2: 3, 'n2~old': 1 }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map(), proofs });
  const restarted = new OriginProofs({ identity: n2, cluster: 'c', store, origin: 'n2' });
  const fromStore = await restarted.covering('n1', 2);
  t.same(fromStore && [fromStore.origin, fromStore.first, lastSeq(fromStore)], ['n1', 1, 2], 'after a restart, n1\'s checkpoint comes back from the store');
  t.ok(fromStore && verifyProof(n2, 'c', fromStore), 'unchanged');
  t.equal(await restarted.covering('n1', 3), undefined, 'and nothing covers an event not stored');

  // Both were stored without their hashes (their events are in the commit): rebuilt from the log.
  const ownFromStore = await restarted.covering('n2', 2);
  t.same(ownFromStore && Buffer.from(encodeFrame(ownFromStore)), ownProof && Buffer.from(encodeFrame(ownProof)), 'n2\'s own checkpoint comes back from the store as it signed it');
  t.equal(await restarted.covering('n2', 2), ownFromStore, 'read back once: asked again, it is the same checkpoint');
  const anotherStart = () => new OriginProofs({ identity: n2, cluster: 'c', store, origin: 'n2' });
  const near = stored.map((e) => (e.pos === 4 ? { ...e, bytes: event('n2', 2, 'altered') } : e));
  t.equal(await anotherStart().covering('n2', 2, near), undefined, 'but not from events other than those it signed');
  t.same(await anotherStart().covering('n2', 2, stored.slice(0, 3)), ownFromStore, 'and the same whether its events come from the caller or the store');
  const receiver = new OriginProofs({ identity: n1, cluster: 'c', store, origin: 'n1' });
  receiver.receive(ownFromStore!);
  const relayed = own.map((bytes, i) => ({ origin: 'n2', seq: i + 1, bytes }));
  receiver.check(relayed, allNew);
  t.pass('a receiver takes n2\'s events with the checkpoint a relay read back from its store');
  relayed[1] = { ...relayed[1], bytes: event('n2', 2, 'altered') };
  t.equal(codeOf(() => receiver.check(relayed, allNew)), 'TROUPE_PEER_FORGED_EVENT', 'and refuses one the relay altered');
});
