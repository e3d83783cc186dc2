/**
 * The admin API answers hostile bytes within its contract on a real node: a body over the
 * limit, requests Node's HTTP parser refuses, a body that is not JSON by its content type
 * or not UTF-8 — each gets a 4xx with `{ error: { code, message } }`, never a reset or a
 * bare status line, and changes nothing.
 */
import t, { type Test } from 'tap';
import { dumpOnFailure, startNode, type NodeProcess } from './helpers/node-process.js';
import { httpExchange, rawExchange, type RawAnswer } from './helpers/raw-http.js';

/** Asserts `answer` is `status` with a JSON `{ error: { code, message } }` of `code`. */
function errorAnswer(t: Test, answer: RawAnswer, status: number, code: string, what: string): void {
  const error = (answer.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  t.equal(answer.status, status, `${what} answers ${status}`, { text: answer.text });
  t.match(answer.headers['content-type'], /^application\/json/, `${what} answers JSON`);
  t.equal(error?.code, code, `${what} answers error.code ${code}`, { text: answer.text });
  t.type(error?.message, 'string', `${what} says why`);
}

/** The node still answers, and its log holds `size` events. */
async function unchanged(t: Test, node: NodeProcess, size: number, what: string): Promise<void> {
  const status = await node.admin.status();
  t.equal(status.log.size, size, `${what}: the log is unchanged`);
  t.ok(node.running, `${what}: the node is still running`);
}

t.test('a 2 MB POST /events answers 413 TROUPE_TOO_LARGE in JSON instead of resetting the connection', async (t) => {
  const node = await startNode(t, { id: 'solo' });
  dumpOnFailure(t, () => [node]);
  const big = JSON.stringify({ type: 'Ping', data: { pad: 'x'.repeat(2 * 1024 * 1024) } });

  const viaFetch = await fetch(`${node.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big })
    .then(async (res) => ({ status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? '' }, text: await res.text() }))
    .catch((err: Error) => ({ status: 0, headers: {}, text: `${err.message}: ${String((err.cause as Error | undefined)?.message)}` }));
  errorAnswer(t, { ...viaFetch, body: safeJson(viaFetch.text) }, 413, 'TROUPE_TOO_LARGE', 'a 2 MB body sent by fetch');

  const chunked = await rawExchange(node.port!, `POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${
    `100000\r\n${'x'.repeat(0x100000)}\r\n`.repeat(2)}0\r\n\r\n`);
  errorAnswer(t, chunked, 413, 'TROUPE_TOO_LARGE', 'a 2 MB chunked body');
  await unchanged(t, node, 0, 'after the large bodies');
});

t.test('what Node\'s HTTP server refuses is answered in JSON: a 16 KB query, a bad chunk size, a negative Content-Length, no Host', async (t) => {
  const node = await startNode(t, { id: 'solo' });
  dumpOnFailure(t, () => [node]);
  const cases: { name: string; bytes: string; status: number; code: string }[] = [
    { name: 'a 16 KB query', bytes: `GET /log?from=1&pad=${'q'.repeat(16 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, status: 431, code: 'TROUPE_TOO_LARGE' },
    {
      name: 'a bad chunk size',
      bytes: 'POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      status: 400,
      code: 'TROUPE_BAD_REQUEST',
    },
    {
      name: 'a negative Content-Length',
      bytes: 'POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n{}',
      status: 400,
      code: 'TROUPE_BAD_REQUEST',
    },
    { name: 'a request line that is not HTTP', bytes: 'HELLO THERE\r\n\r\n', status: 400, code: 'TROUPE_BAD_REQUEST' },
    { name: 'an HTTP/1.1 request without Host', bytes: 'GET /status HTTP/1.1\r\n\r\n', status: 403, code: 'TROUPE_FORBIDDEN_HOST' },
    {
      name: 'an Expect the node cannot meet',
      bytes: 'POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: bogus\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
      status: 417,
      code: 'TROUPE_BAD_REQUEST',
    },
  ];
  for (const { name, bytes, status, code } of cases) {
    errorAnswer(t, await rawExchange(node.port!, bytes), status, code, name);
  }
  await unchanged(t, node, 0, 'after the malformed requests');
});

t.test('POST /events refuses a body that is not application/json (415) or not UTF-8 (400) and logs nothing', async (t) => {
  const node = await startNode(t, { id: 'solo' });
  dumpOnFailure(t, () => [node]);
  const ping = JSON.stringify({ type: 'Ping', data: { n: 1 } });
  const types: { name: string; headers: Record<string, string> }[] = [
    { name: 'text/plain (a cross-site simple request)', headers: { 'content-type': 'text/plain' } },
    { name: 'a form', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { name: 'no content type', headers: {} },
    { name: 'application/jsonp', headers: { 'content-type': 'application/jsonp' } },
  ];
  for (const { name, headers } of types) {
    errorAnswer(t, await httpExchange(`${node.url}/events`, { method: 'POST', headers, body: ping }), 415, 'TROUPE_UNSUPPORTED_MEDIA_TYPE', name);
  }
  const notUtf8 = Buffer.concat([Buffer.from('{"type":"Ping","data":{"s":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')]);
  errorAnswer(t, await httpExchange(`${node.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: notUtf8 }),
    400, 'TROUPE_BAD_REQUEST', 'a body of invalid UTF-8');
  await unchanged(t, node, 0, 'after the refused bodies');

  const ok = await httpExchange(`${node.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: ping });
  t.equal(ok.status, 201, 'application/json with a charset is taken', { text: ok.text });
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
