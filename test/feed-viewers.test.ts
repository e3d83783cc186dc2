import t from 'tap';
import WebSocket from 'ws';
import { CLOSE_TOO_SLOW, closeReason, FeedViewers } from '../runtime/feed-viewers.js';

/** A socket that records what is sent to it and how it was closed. */
class FakeSocket {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closed: { code: number; reason: string } | undefined;
  send(text: string): void {
    this.sent.push(text);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.readyState = WebSocket.CLOSING;
  }
}

function viewers(maxBufferedBytes = 1024) {
  let emptied = 0;
  const all = new FeedViewers({ maxBufferedBytes, emptied: () => emptied++ });
  const add = () => {
    const socket = new FakeSocket();
    const viewer = all.add(socket as unknown as WebSocket);
    return { socket, viewer };
  };
  return { all, add, emptied: () => emptied };
}

t.test('a broadcast reaches ready viewers only, and one viewer may get its own message or none', async (t) => {
  const { all, add } = viewers();
  const a = add();
  const b = add();
  const c = add();
  a.viewer.ready = true;
  b.viewer.ready = true;
  all.broadcast({ kind: 'deadLetters', deadLetters: [] }, (viewer) => (viewer === b.viewer ? null : undefined));
  t.same(a.socket.sent.map((s) => JSON.parse(s)), [{ kind: 'deadLetters', deadLetters: [] }]);
  t.same(b.socket.sent, [], 'null leaves the viewer out');
  t.same(c.socket.sent, [], 'a viewer whose hello is not sent gets no deltas');
});

t.test('a viewer with too much unread is closed as too slow and dropped; the last one gone empties the feed', async (t) => {
  const { all, add, emptied } = viewers(100);
  const slow = add();
  slow.viewer.ready = true;
  slow.socket.bufferedAmount = 101;
  all.broadcast({ kind: 'deadLetters', deadLetters: [] });
  t.same(slow.socket.sent, []);
  t.equal(slow.socket.closed?.code, CLOSE_TOO_SLOW);
  t.match(slow.socket.closed?.reason, /^TROUPE_FEED_TOO_SLOW/);
  t.equal(all.size, 0);
  t.equal(emptied(), 1);
  all.drop(slow.viewer);
  t.equal(emptied(), 1, 'dropping it again changes nothing');
});

t.test('bigints go out as strings', async (t) => {
  const { all, add } = viewers();
  const a = add();
  all.sendTo(a.viewer, { kind: 'actors', actors: [{ service: 's', key: null, state: 'x', status: 'active', context: { n: 10n ** 18n }, timers: [], accepts: [] }] });
  t.match(JSON.parse(a.socket.sent[0]), { actors: [{ context: { n: '1000000000000000000' } }] });
});

t.test('a close reason is cut to what a close frame holds', async (t) => {
  t.equal(closeReason('short'), 'short');
  for (const text of ['é'.repeat(100), `a${'é'.repeat(100)}`, '😀'.repeat(50)]) {
    const cut = closeReason(text);
    t.ok(Buffer.byteLength(cut) <= 123, `${Buffer.byteLength(cut)} bytes`);
    t.ok(text.startsWith(cut.slice(0, -3)) && cut.endsWith('...'), 'a prefix of whole characters, then ...');
  }
});
