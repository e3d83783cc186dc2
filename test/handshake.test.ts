import t from 'tap';
import { CLOSE_CODES, HANDSHAKE_TIMEOUT_MS, NONCE_BYTES, PROOF_BYTES, newNonce, proof, verifyProof, type ProofArgs } from '../protocol/handshake.js';

const secret = 'cluster secret';
const aNonce = newNonce();
const bNonce = newNonce();
/** What a proves to b: over b's nonce. */
const aToB: ProofArgs = { cluster: 'troupe', fromNode: 'a', toNode: 'b', fromNonce: aNonce, toNonce: bNonce };
/** What b proves to a: over a's nonce. */
const bToA: ProofArgs = { cluster: 'troupe', fromNode: 'b', toNode: 'a', fromNonce: bNonce, toNonce: aNonce };

t.test('nonces are fresh random bytes', async (t) => {
  t.equal(aNonce.length, NONCE_BYTES);
  t.notSame(aNonce, bNonce);
});

t.test('a proof made with the cluster secret verifies', async (t) => {
  const p = proof(secret, aToB);
  t.equal(p.length, PROOF_BYTES);
  t.ok(verifyProof(secret, aToB, p));
  t.ok(verifyProof(secret, bToA, proof(secret, bToA)), 'in both directions');
});

t.test('a proof fails with another secret, cluster, node or nonce', async (t) => {
  const p = proof(secret, aToB);
  t.notOk(verifyProof('another secret', aToB, p), 'wrong secret');
  t.notOk(verifyProof(secret, { ...aToB, cluster: 'other' }, p), 'wrong cluster');
  t.notOk(verifyProof(secret, { ...aToB, fromNode: 'c' }, p), 'another prover');
  t.notOk(verifyProof(secret, { ...aToB, toNonce: newNonce() }, p), 'replayed on a new connection (fresh verifier nonce)');
  t.notOk(verifyProof(secret, { ...aToB, fromNonce: newNonce() }, p), 'another prover nonce');
});

t.test('a proof cannot be reflected or replayed in the other direction', async (t) => {
  const p = proof(secret, aToB);
  t.notOk(verifyProof(secret, bToA, p), 'a’s proof is not b’s');
  // Even when an attacker echoes a's own nonce back as its hello nonce.
  const echo: ProofArgs = { cluster: 'troupe', fromNode: 'b', toNode: 'a', fromNonce: aNonce, toNonce: aNonce };
  t.notOk(verifyProof(secret, echo, proof(secret, { ...aToB, toNonce: aNonce })));
});

t.test('fields are length-prefixed, so shifting bytes between them changes the proof', async (t) => {
  const left = proof(secret, { ...aToB, cluster: 'ab', fromNode: 'c' });
  t.notOk(verifyProof(secret, { ...aToB, cluster: 'a', fromNode: 'bc' }, left));
});

t.test('a proof of the wrong length is rejected, not thrown on', async (t) => {
  t.notOk(verifyProof(secret, aToB, new Uint8Array(0)));
  t.notOk(verifyProof(secret, aToB, proof(secret, aToB).subarray(0, 16)));
});

t.test('close codes are distinct and in the application range', async (t) => {
  const codes = Object.values(CLOSE_CODES);
  t.equal(new Set(codes).size, codes.length);
  for (const [name, code] of Object.entries(CLOSE_CODES)) {
    if (name === 'goingAway' || name === 'frameTooLarge') continue;
    t.ok(code >= 4000 && code <= 4999, `${name} ${code}`);
  }
  t.ok(HANDSHAKE_TIMEOUT_MS > 0);
});
