/**
 * Skip proofs: a checkpoint signs its events' types, its cover proves them without the
 * hashes, and a partial node takes a skip run only where they show every seq outside its
 * interest and not its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { checkpointTypes, firstWanted } from '../protocol/checkpoint-types.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import { encodeEvent } from '../protocol/event-codec.js';
import { ENVELOPE_SCHEMA, type EncodedEvent } from '../protocol/envelope.js';
import { lengthPrefixed } from '../protocol/handshake-signature.js';
import { NodeIdentity, newNodeKey, TrustList } from '../protocol/node-keys.js';
import { signProof, verifyProof, type ProofFrame } from '../protocol/origin-proof.js';
import { coverOf, verifyCover, type CoverFrame } from '../protocol/skip-cover.js';
import { OriginProofs } from '../runtime/origin-proofs.js';
import { Store } from '../runtime/store.js';
import { codeOf } from './helpers/codec-fixtures.js';

const k1 = newNodeKey().key;
const k2 = newNodeKey().key;
const trust = TrustList.parse(TrustList.format([['n1', k1.publicKey], ['n2', k2.publicKey]]), 'trust');
const n1 = new NodeIdentity('n1', k1, trust);
const n2 = new NodeIdentity('n2', k2, trust);

function event(origin: string, seq: number, type: string): EncodedEvent {
  return encodeEvent({ type, data: { seq }, origin, seq, vc: { [origin]: seq }, correlationId: `${origin}:${seq}`, causationId: null, ts: 1, schema: ENVELOPE_SCHEMA });
}

/** n1's events 1–5: three readings, an alert, a reading. */
const types = ['reading', 'reading', 'reading', 'alert.n2', 'reading'];
const events = types.map((type, i) => event('n1~A', i + 1, type));
const wantsAlerts = (type: string): boolean => type.startsWith('alert.');
/** A node that counts nothing yet. */
const none = (): number => 0;

async function book(t: Test): Promise<OriginProofs> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-skip-proofs-'));
  const store = await Store.open(dir, 'n2');
  t.teardown(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return new OriginProofs({ identity: n2, cluster: 'c', store, origin: 'n2~B' });
}

t.test('a checkpoint lists its distinct types once and its events as runs of one type', async (t) => {
  const typed = checkpointTypes(types);
  t.same(typed.types, ['reading', 'alert.n2']);
  t.same([...typed.runs], [0, 0, 0, 3, 0, 1, 0, 1, 0, 0, 0, 1], 'reading×3, alert×1, reading×1');
  t.equal(firstWanted(typed, 1, 1, 3, wantsAlerts), undefined, 'seqs 1–3 are readings');
  t.equal(firstWanted(typed, 1, 2, 5, wantsAlerts), 4, 'seq 4 is wanted');
  t.equal(firstWanted(typed, 1, 5, 9, wantsAlerts), undefined, 'seq 5 is a reading; seqs past the checkpoint are not looked at');
});

t.test('a cover verifies under its origin\'s key and breaks with any change to what it signs', async (t) => {
  const proof = signProof(n1, 'c', 'n1~A', 1, events);
  t.ok(verifyProof(n2, 'c', proof), 'the v3 checkpoint verifies');
  t.notOk(verifyProof(n2, 'c', { ...proof, types: ['reading', 'alert.n3'] }), 'not with another type list');
  const cover = coverOf(proof)!;
  t.same(decodeFrame(encodeFrame(cover)), cover, 'it round-trips');
  t.ok(verifyCover(n2, 'c', cover), 'the cover verifies without the hashes');
  const changed: [string, CoverFrame][] = [
    ['a wanted type renamed', { ...cover, types: ['reading', 'reading2'] }],
    ['the runs recut', { ...cover, runs: checkpointTypes(['reading', 'reading', 'reading', 'reading', 'alert.n2']).runs }],
    ['moved to other seqs', { ...cover, first: 2 }],
    ['another origin', { ...cover, origin: 'n2~A' }],
    ['another events digest', { ...cover, events: new Uint8Array(32) }],
  ];
  for (const [label, c] of changed) t.notOk(verifyCover(n2, 'c', c), label);
  t.notOk(verifyCover(n2, 'other', cover), 'not for another cluster');
});

t.test('a skip run is taken only where a verified checkpoint shows every seq outside the interest', async (t) => {
  const proofs = await book(t);
  const skips = proofs.skips;
  const range = (from: number, to: number, origin = 'n1~A') => [{ origin, from, to }];
  t.equal(codeOf(() => skips.check(range(1, 3), wantsAlerts, none)), 'TROUPE_PEER_FORGED_EVENT', 'no checkpoint came: refused');
  const proof = signProof(n1, 'c', 'n1~A', 1, events);
  const forged = { ...coverOf(proof)!, types: ['reading', 'reading'] };
  t.equal(codeOf(() => skips.receive(forged)), 'TROUPE_PEER_FORGED_EVENT', 'a cover whose types were changed is refused');
  t.equal(codeOf(() => skips.receive({ ...coverOf(signProof(n2, 'c', 'n1~A', 1, events))! })), 'TROUPE_PEER_FORGED_EVENT', 'a cover signed by another node is refused');
  skips.receive(coverOf(proof)!);
  t.doesNotThrow(() => skips.check(range(1, 3), wantsAlerts, none), 'readings 1–3 are skippable');
  t.throws(() => skips.check(range(2, 4), wantsAlerts, none), /n1~A:4 is not proved: n1 signed it as an event this node wants/, 'a run through the alert is not, and the error names it');
  t.equal(codeOf(() => skips.check(range(4, 4), wantsAlerts, none)), 'TROUPE_PEER_FORGED_EVENT');
  t.doesNotThrow(() => skips.check(range(5, 5), wantsAlerts, none), 'reading 5 is skippable');
  t.equal(codeOf(() => skips.check(range(5, 6), wantsAlerts, none)), 'TROUPE_PEER_FORGED_EVENT', 'seq 6 has no checkpoint');
  t.equal(codeOf(() => skips.check(range(1, 1, 'n2~Z'), () => false, none)), 'TROUPE_PEER_FORGED_EVENT', 'this node\'s own events are never skipped to it');
  t.equal(codeOf(() => skips.check(range(5, 5), () => true, none)), 'TROUPE_PEER_FORGED_EVENT', 'a node that wants everything takes no skip');
  t.doesNotThrow(() => skips.check(range(1, 5), wantsAlerts, () => 5), 'a skip of seqs counted already changes nothing, so needs no proof');
  t.equal(codeOf(() => skips.check(range(1, 6), wantsAlerts, () => 5)), 'TROUPE_PEER_FORGED_EVENT', 'but a seq above them does');
});

t.test('a whole checkpoint proves skips like its cover; one signed before types proves them as before', async (t) => {
  const proofs = await book(t);
  proofs.receive(signProof(n1, 'c', 'n1~A', 1, events));
  t.doesNotThrow(() => proofs.skips.check([{ origin: 'n1~A', from: 1, to: 3 }], wantsAlerts, none), 'a v3 proof frame proves the readings');
  t.equal(codeOf(() => proofs.skips.check([{ origin: 'n1~A', from: 4, to: 4 }], wantsAlerts, none)), 'TROUPE_PEER_FORGED_EVENT', 'and not the alert');
  const older = events.map((_, i) => event('n1~O', i + 1, types[i]));
  const v2 = signProof(n1, 'c', 'n1~O', 1, older);
  const hashes = v2.hashes;
  const signature = n1.sign(lengthPrefixed(['troupe/origin-proof/v2', 'c', 'n1~O', '1', hashes, v2.digest!]));
  const stored: ProofFrame = { type: 'proof', origin: 'n1~O', first: 1, hashes, digest: v2.digest, signature };
  t.equal(encodeFrame(stored)[0], 0x96, 'a v2 checkpoint keeps its six fields');
  proofs.receive(stored);
  t.doesNotThrow(() => proofs.skips.check([{ origin: 'n1~O', from: 1, to: 5 }], wantsAlerts, none), 'its seqs are taken as skipped, as before types');
});
