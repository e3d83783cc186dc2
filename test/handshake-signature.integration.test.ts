/**
 * The handshake proves the node id: a node started with `--trust` links a peer only if the
 * peer signs the transcript with the key the trust list gives the id it claims, and
 * closes it with 4406 (`keyRejected`) otherwise, logging `TROUPE_PEER_KEY_REJECTED`.
 */
import t from 'tap';
import { CLOSE_CODES } from '../protocol/handshake.js';
import { keyedPeer, strangerIdentity, testKeys } from './helpers/keyed-peer.js';
import { dumpOnFailure, NodeProcess, startNode, tempDataDir } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'keys-secret';

t.test('a node with a trust list links only peers that sign the handshake with their own key', async (t) => {
  const keys = await testKeys(t, ['n1', 'n2', 'n3']);
  const n1 = await startNode(t, { id: 'n1', secret: SECRET, extraArgs: keys.args('n1') });
  dumpOnFailure(t, () => [n1]);

  const honest = await keyedPeer(t, n1.wsUrl, { secret: SECRET, identity: keys.identity('n2') });
  await honest.linked();
  t.pass('a peer signing with the key listed for its id is linked');
  const recorded = honest.sentSignature!;

  const stranger = await (await keyedPeer(t, n1.wsUrl, { secret: SECRET, identity: strangerIdentity('n3') })).closed;
  t.equal(stranger.code, CLOSE_CODES.keyRejected, 'a peer signing with a key the trust list does not hold is refused with 4406');
  t.match(stranger.reason, /n3's signature does not verify/);

  const other = await (await keyedPeer(t, n1.wsUrl, { secret: SECRET, identity: keys.identity('n2'), node: 'n3' })).closed;
  t.equal(other.code, CLOSE_CODES.keyRejected, 'a key valid for n2 does not prove the id n3');

  const replayed = await (await keyedPeer(t, n1.wsUrl, { secret: SECRET, identity: keys.identity('n3'), signature: recorded, node: 'n2' })).closed;
  t.equal(replayed.code, CLOSE_CODES.keyRejected, 'a signature recorded on another connection does not verify on a new one');

  const unsigned = await (await keyedPeer(t, n1.wsUrl, { secret: SECRET, identity: keys.identity('n3'), signature: null })).closed;
  t.equal(unsigned.code, CLOSE_CODES.keyRejected, 'a peer that proves only the cluster secret is refused');
  t.match(unsigned.reason, /no node signature/);

  const unknown = await (await keyedPeer(t, n1.wsUrl, { secret: SECRET, identity: strangerIdentity('n9') })).closed;
  t.equal(unknown.code, CLOSE_CODES.keyRejected, 'a node id the trust list does not name is refused');
  t.match(unknown.reason, /n9 has no key/);

  const logged = await waitFor(() => n1.lines.filter((l) => l.json?.code === 'TROUPE_PEER_KEY_REJECTED').length, {
    until: (n) => n >= 5,
    message: 'n1 to log each refusal',
  });
  t.equal(logged, 5, 'each refusal is logged with its code');
  t.notOk(honest.isClosed, 'the honest peer is still linked');
});

t.test('a node started with --trust refuses to start with a key the list gives another node', async (t) => {
  const keys = await testKeys(t, ['n1', 'n2']);
  const n1 = new NodeProcess({ id: 'n1', secret: SECRET, data: await tempDataDir(t, 'n1'), extraArgs: ['--trust', keys.trustFile, '--key', `${keys.dir}/n2.key`] });
  t.teardown(() => n1.destroy());
  const started = await n1.start().catch((err: Error) => err);
  t.ok(started instanceof Error, 'the node did not start');
  t.match(n1.tail(), /TROUPE_KEY_UNTRUSTED/, 'and said why');
});
