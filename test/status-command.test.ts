process.env.TZ = 'UTC';
import t from 'tap';
import type { NodeStatus } from '../inspector/feed.js';
import { clockText, outboxText, parseStatusArgs, renderStatus, type StatusRow } from '../nodes/status-command.js';

const AT = Date.UTC(2026, 0, 2, 12, 3, 5);

function status(id: string, peers: NodeStatus['peers'], fields: Partial<NodeStatus> = {}): NodeStatus {
  return { id, vc: { n1: 4, n2: 6 }, peers, services: ['payment'], log: { size: 10, buffered: 0 }, recovering: false, ...fields };
}

t.test('parseStatusArgs takes one node URL and a timeout', async (t) => {
  t.same(parseStatusArgs(['127.0.0.1:7401', '--timeout', '500'], {}), { url: 'http://127.0.0.1:7401', timeoutMs: 500, token: undefined });
  t.throws(() => parseStatusArgs([]), { code: 'TROUPE_BAD_FLAGS' });
  t.throws(() => parseStatusArgs(['http://a', 'http://b']), { code: 'TROUPE_BAD_FLAGS' });
});

t.test('clockText lists a clock by node, or - when empty', async (t) => {
  t.equal(clockText({ n2: 6, n1: 4 }), 'n1:4 n2:6');
  t.equal(clockText({}), '-');
});

t.test('renderStatus shows every node and every link as each end sees it', async (t) => {
  const rows: StatusRow[] = [
    { id: 'n2', admin: 'http://n2', reachable: true, deadLetters: 1, status: status('n2', [
      { id: 'n1', connected: true, outbox: 0, since: AT },
      { id: 'n3', connected: false, outbox: 4, since: AT },
    ], { log: { size: 10, buffered: 2 } }) },
    { id: 'n3', admin: 'http://n3', reachable: true, status: status('n3', [{ id: 'n2', connected: false, outbox: 1, since: AT, cut: true }], { services: [] }) },
    { id: 'n4', admin: 'http://n4', reachable: false, error: 'ECONNREFUSED' },
  ];
  t.same(renderStatus('http://n2', rows), [
    '3 nodes reached from http://n2, 2 answering',
    '',
    'node  admin      services      log  buffered  dlq  clock',
    'n2    http://n2  payment       10   2         1    n1:4 n2:6',
    'n3    http://n3  (relay only)  10   0         ?    n1:4 n2:6',
    'n4 (http://n4) did not answer: ECONNREFUSED',
    '',
    'link     state      since     outbox',
    'n2 → n1  up         12:03:05  0',
    'n2 → n3  cut by n3  12:03:05  4',
    'n3 → n2  cut by n3  12:03:05  1',
  ]);
});

t.test('a draining outbox shows what is left, the pace and the time to go', async (t) => {
  t.equal(outboxText({ outbox: 41_200, catchUp: { rate: 52_000, etaMs: 792 } }), '41200 left, 52000/s, ~1s');
  t.equal(outboxText({ outbox: 7 }), '7', 'a still outbox is its depth');
});
