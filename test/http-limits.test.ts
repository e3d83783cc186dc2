import t, { type Test } from 'tap';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTroupeError } from '../protocol/troupe-error.js';
import { limitServer, MAX_BODY_BYTES, readJsonBody } from '../runtime/http-limits.js';
import { rawExchange } from './helpers/raw-http.js';

/** A server that answers each request with the JSON body it read, or the error's code. */
async function serve(t: Test, timeouts: { headersMs: number; requestMs: number }): Promise<number> {
  const server = createServer({ connectionsCheckingInterval: 50 }, function echoOnRequest(req, res: ServerResponse) {
    readJsonBody(req).then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ body })),
      (err: unknown) => {
        const status = isTroupeError(err, 'TROUPE_TOO_LARGE') ? 413 : 400;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: isTroupeError(err) ? err.code : 'x', message: String(err) } }));
      },
    );
  });
  limitServer(server, timeouts);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

const errorCode = (body: unknown): unknown => (body as { error?: { code?: unknown } } | undefined)?.error?.code;

t.test('headers that do not arrive in time answer 408 TROUPE_REQUEST_TIMEOUT in JSON', async (t) => {
  const port = await serve(t, { headersMs: 200, requestMs: 5000 });
  // The request line and no end of headers, and the connection held open.
  const answer = await rawExchange(port, 'POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\n', { hold: true });
  t.equal(answer.status, 408);
  t.equal(errorCode(answer.body), 'TROUPE_REQUEST_TIMEOUT');
});

t.test('a body that does not arrive in time answers 408 TROUPE_REQUEST_TIMEOUT in JSON', async (t) => {
  const port = await serve(t, { headersMs: 5000, requestMs: 300 });
  const answer = await rawExchange(port, 'POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"type":', { hold: true });
  t.equal(answer.status, 408);
  t.equal(errorCode(answer.body), 'TROUPE_REQUEST_TIMEOUT');
});

t.test('readJsonBody takes JSON in UTF-8 up to the limit, and refuses the rest with a code', async (t) => {
  const port = await serve(t, { headersMs: 5000, requestMs: 5000 });
  const post = (body: Uint8Array<ArrayBuffer> | string): Promise<{ status: number; body: unknown }> =>
    fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      .then(async (res) => ({ status: res.status, body: await res.json() }));
  t.same(await post('{"s":"ünï"}'), { status: 200, body: { body: { s: 'ünï' } } });
  t.equal((await post(Uint8Array.from([0x7b, 0x22, 0x73, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]))).status, 400, 'invalid UTF-8 is refused, not replaced');
  t.equal(errorCode((await post('{"s":')).body), 'TROUPE_BAD_REQUEST', 'so is what is not JSON');
  const exactly = `"${'x'.repeat(MAX_BODY_BYTES - 2)}"`;
  t.equal((await post(exactly)).status, 200, 'a body of exactly the limit is taken');
  const over = await post(`${exactly} `);
  t.equal(over.status, 413, 'one byte more answers 413');
  t.equal(errorCode(over.body), 'TROUPE_TOO_LARGE');
});
