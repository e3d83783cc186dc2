/**
 * Heartbeats: a peer that stops answering (here: a process frozen with SIGSTOP, its socket
 * still open) is noticed by missed pongs and its link dropped; once it answers again the
 * dialer's backoff brings the link back.
 */
import t from 'tap';
import { linked, waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, startNode } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

t.test('a silent peer is dropped by missed heartbeats and relinked when it wakes up', async (t) => {
  const a = await startNode(t, { id: 'a' });
  const b = await startNode(t, { id: 'b', peers: [a.wsUrl] });
  const nodes = [a, b];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['a', 'b']]);

  process.kill(b.pid!, 'SIGSTOP');
  t.teardown(() => {
    if (b.running) process.kill(b.pid!, 'SIGCONT');
  });
  await waitFor(() => a.admin.status(), {
    timeout: 30_000,
    until: (s) => s.peers.some((p) => p.id === 'b' && !p.connected),
    message: () => `a to drop its link to the frozen b\n${a.tail()}`,
  });
  // The log line comes over a's stdout, which may trail its admin API: wait for it too.
  const timeout = await a.waitForRecord((r) => r.code === 'TROUPE_PEER_TIMEOUT', 'the missed heartbeat (TROUPE_PEER_TIMEOUT)');
  t.equal(timeout.peer, 'b', 'a logged the missed heartbeat of b');

  process.kill(b.pid!, 'SIGCONT');
  await waitFor(() => a.admin.status(), {
    failFast: crashed(nodes),
    timeout: 30_000,
    until: (s) => linked(s, 'b'),
    message: () => `b to link to a again\n${b.tail()}`,
  });
  const woke = await a.admin.publish('Ping', { after: 'wake' });
  await waitFor(() => b.admin.status(), {
    failFast: crashed(nodes),
    until: (s) => s.vc[woke.origin] === woke.seq,
    message: () => `b to receive a's event over the new link\n${b.tail()}`,
  });
  t.pass('events flow again');
});
