/**
 * Bad input at every boundary of a real node — HTTP, WebSocket, handshake, CLI flags —
 * is refused with a stable code and changes nothing.
 */
import t from 'tap';
import type { NodeStatus } from './helpers/admin-client.js';
import { clocksEqual } from './helpers/causal-log.js';
import { linked, waitForLinks } from './helpers/convergence.js';
import { runCli } from './helpers/cli-run.js';
import { dumpOnFailure, startNode, tempDataDir } from './helpers/node-process.js';
import { msgpackMap, sendAndAwaitClose } from './helpers/raw-peer.js';
import { waitFor } from './helpers/wait-for.js';

/** pino's level number for `warn`. */
const PINO_WARN = 40;

/** What must not change: the clock, the log size, and which peers are linked. */
function essentials(status: NodeStatus): unknown {
  return {
    id: status.id,
    vc: status.vc,
    log: status.log.size,
    linked: status.peers.filter((p) => p.connected).map((p) => p.id).sort(),
  };
}

/** Whether a pino record carries `code` at its top level or in a nested error object. */
function carriesCode(record: unknown, code: string, depth = 0): boolean {
  if (!record || typeof record !== 'object' || depth > 3) return false;
  const fields = record as Record<string, unknown>;
  if (fields.code === code) return true;
  return Object.values(fields).some((value) => carriesCode(value, code, depth + 1));
}

function isWarn(record: Record<string, unknown>): boolean {
  return record.level === PINO_WARN || record.level === 'warn';
}

t.test('a bad POST /events answers 400 TROUPE_BAD_REQUEST and changes nothing', async (t) => {
  const node = await startNode(t, { id: 'solo', secret: 'bad-input' });
  dumpOnFailure(t, () => [node]);
  const admin = node.admin;
  await admin.publish('Ping', { n: 1 });
  const before = await admin.status();
  t.equal(before.log.size, 1, 'the valid event is in the log');

  const cases: { name: string; body: string }[] = [
    { name: 'a body that is not JSON', body: '{"type": "Ping",' },
    { name: 'an empty body', body: '' },
    { name: 'an array with one bad event among good ones', body: '[{"type":"Ping"},{"type":""}]' },
    { name: 'JSON null', body: 'null' },
    { name: 'an object without type', body: '{"data":{"n":2}}' },
    { name: 'a numeric type', body: '{"type":42}' },
    { name: 'a type that is an array', body: '{"type":["Ping"]}' },
    { name: 'a numeric correlationId', body: '{"type":"Ping","correlationId":7}' },
  ];
  for (const { name, body } of cases) {
    const answer = await admin.request('POST', '/events', { raw: body });
    const error = (answer.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    t.equal(answer.status, 400, `${name} answers 400`, { body: answer.text });
    t.equal(error?.code, 'TROUPE_BAD_REQUEST', `${name} answers error.code TROUPE_BAD_REQUEST`, { body: answer.text });
    t.type(error?.message, 'string', `${name} answers an error message`);
  }

  const after = await admin.status();
  t.same(essentials(after), essentials(before), 'the node\'s clock, log and links are unchanged');
  t.equal((await admin.log()).length, 1, 'the log still lists one event');
  t.ok(node.running, 'the node is still running');
});

t.test('a peer connection that sends bad frames is closed with a protocol close code and changes nothing', async (t) => {
  const node = await startNode(t, { id: 'solo', secret: 'bad-input' });
  dumpOnFailure(t, () => [node]);
  await node.admin.publish('Ping', { n: 1 });
  const before = await node.admin.status();

  const cases: { name: string; payload: Uint8Array | string; codes: (code: number) => boolean; expected: string }[] = [
    { name: 'garbage bytes', payload: Uint8Array.from([0xc1, 0xc1, 0xff, 0x00, 0x13, 0x37]), codes: (c) => c >= 4000 && c <= 4999, expected: '4000–4999' },
    { name: 'truncated msgpack', payload: Uint8Array.from([0x92, 0xa4, 0x74]), codes: (c) => c >= 4000 && c <= 4999, expected: '4000–4999' },
    { name: 'msgpack that is not a frame (unknown type)', payload: msgpackMap({ type: 'bogus' }), codes: (c) => c >= 4000 && c <= 4999, expected: '4000–4999' },
    { name: 'msgpack that is not a frame (a bare number)', payload: Uint8Array.from([0x2a]), codes: (c) => c >= 4000 && c <= 4999, expected: '4000–4999' },
    { name: 'a hello with fields of the wrong types', payload: msgpackMap({ type: 'hello', cluster: 1, node: 2, protocol: 'one', nonce: 3 }), codes: (c) => c >= 4000 && c <= 4999, expected: '4000–4999' },
    {
      // The refusal's reason echoes the id; it once overflowed the 123-byte close reason and crashed the node.
      name: 'a hello whose node id is 64 bytes of invalid UTF-8',
      payload: Buffer.concat([
        Buffer.from([0x95, 0xa5]), Buffer.from('hello'), Buffer.from([0xa6]), Buffer.from('troupe'),
        Buffer.from([0xd9, 0x40]), Buffer.alloc(64, 0xc3), Buffer.from([0x01, 0xc4, 0x20]), Buffer.alloc(32, 7),
      ]),
      codes: (c) => c >= 4000 && c <= 4999,
      expected: '4000–4999',
    },
    { name: 'an events frame before the handshake', payload: msgpackMap({ type: 'events', events: [] }), codes: (c) => c >= 4000 && c <= 4999, expected: '4000–4999' },
    { name: 'a frame over the 16 MiB limit', payload: new Uint8Array(16 * 1024 * 1024 + 4096).fill(0xa5), codes: (c) => c === 1009 || (c >= 4000 && c <= 4999), expected: '1009 or 4000–4999' },
  ];
  for (const { name, payload, codes, expected } of cases) {
    const closed = await sendAndAwaitClose(node.wsUrl, payload);
    t.ok(codes(closed.code), `${name}: the node closes the connection with ${expected}`, { closed });
    const now = await node.admin.status();
    t.same(essentials(now), essentials(before), `${name}: the node still answers and its state is unchanged`);
  }
  t.ok(node.running, 'the node is still running');
  t.same(node.records((r) => r.level === 50 || r.level === 60), [], 'the node logged no error or fatal line');
});

t.test('a peer with the wrong secret is refused with TROUPE_PEER_AUTH_FAILED while one with the right secret links', async (t) => {
  // The first node takes its secret from the environment, the others from --secret.
  const first = await startNode(t, { id: 'first', env: { TROUPE_SECRET: 'right-secret' } });
  const intruder = await startNode(t, { id: 'intruder', secret: 'wrong-secret', peers: [first.wsUrl] });
  const friend = await startNode(t, { id: 'friend', secret: 'right-secret', peers: [first.wsUrl] });
  dumpOnFailure(t, () => [first, intruder, friend]);
  await waitForLinks([first, friend], [['first', 'friend']]);

  const warning = await first.waitForRecord((r) => isWarn(r) && carriesCode(r, 'TROUPE_PEER_AUTH_FAILED'),
    'a warn line with code TROUPE_PEER_AUTH_FAILED');
  t.ok(warning, 'the first node logs the refusal as a warning with its code', { warning });

  const [firstStatus, intruderStatus] = await Promise.all([first.admin.status(), intruder.admin.status()]);
  t.notOk(linked(firstStatus, 'intruder'), 'the first node shows no link to the intruder', { peers: firstStatus.peers });
  t.ok(intruderStatus.peers.every((p) => !p.connected), 'the intruder shows no connected peer', { peers: intruderStatus.peers });

  // Still refused on its retries: the intruder never gets in, and it never receives events.
  const ping = await first.admin.publish('Ping', { secret: 'not for intruders' });
  await waitFor(() => friend.admin.status(), {
    until: (s) => (s.vc[ping.origin] ?? 0) >= ping.seq,
    message: () => `the friend to receive the first node's event\n${friend.tail()}`,
  });
  const later = await intruder.admin.status();
  t.ok(clocksEqual(later.vc, {}), 'the intruder received no event', { vc: later.vc });
  t.ok(later.peers.every((p) => !p.connected), 'the intruder is still not linked');
});

t.test('bad CLI flags exit non-zero with a message on stderr', async (t) => {
  const data = await tempDataDir(t, 'cli');
  const valid = ['node', '--id', 'cli', '--port', '0', '--data', data, '--app', 'examples/orders', '--secret', 's'];
  const cases: { name: string; args: string[]; mentions: RegExp }[] = [
    { name: 'an unknown flag', args: [...valid, '--bogus-flag', 'x'], mentions: /bogus-flag/ },
    { name: 'a missing --id', args: valid.filter((_, i) => i !== 1 && i !== 2), mentions: /\bid\b/i },
    { name: 'a port that is not a number', args: valid.map((a) => (a === '0' ? 'eighty' : a)), mentions: /port/i },
    { name: 'no cluster secret', args: valid.slice(0, -2), mentions: /secret/i },
    { name: 'a service listed twice', args: [...valid, '--services', 'order,order'], mentions: /twice/i },
  ];
  for (const { name, args, mentions } of cases) {
    const run = await runCli(args);
    t.ok(typeof run.code === 'number' && run.code !== 0, `${name}: exits with a non-zero code`, { code: run.code, signal: run.signal });
    t.match(run.stderr, mentions, `${name}: stderr says what is wrong`, { stderr: run.stderr });
    t.notMatch(run.stdout, /"msg":"listening"/, `${name}: the node never starts serving`);
  }
});
