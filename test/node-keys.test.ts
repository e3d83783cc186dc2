/** Node keys: the trust list's grammar, and which signatures an identity believes. */
import t from 'tap';
import { NodeIdentity, newNodeKey, readNodeKey, TrustList } from '../protocol/node-keys.js';
import { codeOf } from './helpers/codec-fixtures.js';

const a = newNodeKey();
const b = newNodeKey();
const trust = TrustList.parse(`# the cluster\n\nn1 ${a.key.publicKey}\n  n2\t${b.key.publicKey}  \n`, 'trust');

t.test('a trust list gives each node id its key; comments and blank lines are skipped', async (t) => {
  t.equal(trust.textOf('n1'), a.key.publicKey);
  t.equal(trust.textOf('n2'), b.key.publicKey);
  t.equal(trust.keyOf('n3'), undefined);
  t.equal(TrustList.format([['n1', a.key.publicKey]]), `n1 ${a.key.publicKey}\n`);
});

t.test('a trust list with a bad line is refused, naming the line', async (t) => {
  const bad: [string, string][] = [
    ['a line with one word', `n1`],
    ['three words', `n1 ${a.key.publicKey} extra`],
    ['a bad node id', `n 1 ${a.key.publicKey}`],
    ['__proto__', `__proto__ ${a.key.publicKey}`],
    ['a short key', `n1 abc`],
    ['a node listed twice', `n1 ${a.key.publicKey}\nn1 ${b.key.publicKey}`],
  ];
  for (const [label, text] of bad) t.equal(codeOf(() => TrustList.parse(text, 'trust')), 'TROUPE_TRUST_INVALID', label);
  t.throws(() => TrustList.parse(`# x\nn1 abc`, 'trust'), /trust line 2/, 'the message names the line');
});

t.test('a private key reads back from its PEM; anything else is refused', async (t) => {
  t.equal(readNodeKey(a.pem, 'k').publicKey, a.key.publicKey);
  t.equal(codeOf(() => readNodeKey('not a key', 'k')), 'TROUPE_KEY_INVALID');
});

t.test('an identity needs the trust list to give its node id its key', async (t) => {
  t.equal(codeOf(() => new NodeIdentity('n1', b.key, trust)), 'TROUPE_KEY_UNTRUSTED', 'another node\'s key');
  t.equal(codeOf(() => new NodeIdentity('n9', a.key, trust)), 'TROUPE_KEY_UNTRUSTED', 'an unlisted id');
});

t.test('an identity believes a signature only under the key listed for the signer\'s id', async (t) => {
  const n1 = new NodeIdentity('n1', a.key, trust);
  const n2 = new NodeIdentity('n2', b.key, trust);
  const message = Buffer.from('hello');
  const signature = n1.sign(message);
  t.ok(n2.verify('n1', message, signature), 'n1 signed it');
  t.notOk(n2.verify('n2', message, signature), 'not under n2\'s key');
  t.notOk(n2.verify('n9', message, signature), 'nor for an id with no key');
  t.notOk(n2.verify('n1', Buffer.from('hellO'), signature), 'nor of other bytes');
  t.notOk(n2.verify('n1', message, signature.subarray(0, 63)), 'nor a short signature');
});
