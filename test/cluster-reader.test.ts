import t, { type Test } from 'tap';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getJson } from '../runtime/cluster-reader.js';

/** A loopback server answering each path as `routes` says; a path not listed never answers. */
async function serve(t: Test, routes: Record<string, (res: ServerResponse) => void>): Promise<string> {
  const server = createServer((req, res) => routes[req.url ?? '']?.(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('getJson reads a 2xx JSON answer', async (t) => {
  const url = await serve(t, { '/status': (res) => res.end('{"id":"n1"}') });
  t.same(await getJson(`${url}/status`, 2000), { id: 'n1' });
});

t.test('getJson refuses an error answer, naming its code, and an answer that is not JSON', async (t) => {
  const url = await serve(t, {
    '/dlq': (res) => {
      res.statusCode = 404;
      res.end('{"error":{"code":"TROUPE_NOT_FOUND","message":"no such thing"}}');
    },
    '/text': (res) => res.end('hello'),
  });
  await t.rejects(getJson(`${url}/dlq`, 2000), { code: 'TROUPE_NODE_UNREACHABLE', message: /answered 404 TROUPE_NOT_FOUND: no such thing/ });
  await t.rejects(getJson(`${url}/text`, 2000), { code: 'TROUPE_NODE_UNREACHABLE', message: /other than JSON/ });
});

t.test('getJson gives up after its timeout, or when its signal aborts', async (t) => {
  const url = await serve(t, {});
  await t.rejects(getJson(`${url}/never`, 50), { code: 'TROUPE_NODE_UNREACHABLE', message: /no answer within 50 ms/ });
  const controller = new AbortController();
  const asking = getJson(`${url}/never`, 60_000, controller.signal);
  controller.abort();
  await t.rejects(asking, { code: 'TROUPE_NODE_UNREACHABLE' });
});
