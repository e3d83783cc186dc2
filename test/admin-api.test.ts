/**
 * The admin API's error answers, on an in-process server with stand-ins for the fabric,
 * host and store: only troupe's own codes reach a client.
 */
import t, { type Test } from 'tap';
import pino from 'pino';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TroupeError } from '../protocol/troupe-error.js';
import { adminApi, type AdminContext } from '../runtime/admin-api.js';
import { AdminGuard } from '../runtime/admin-guard.js';
import { Fabric } from '../runtime/fabric.js';
import { Host } from '../runtime/host.js';
import { Store } from '../runtime/store.js';

async function serve(t: Test, ctx: Partial<Record<keyof AdminContext, unknown>>): Promise<string> {
  const server = createServer(adminApi({ guard: new AdminGuard('127.0.0.1'), ...ctx } as AdminContext));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function get(url: string): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

t.test('a library error answers 500 TROUPE_INTERNAL, never the library\'s own code', async (t) => {
  const notOpen = Object.assign(new Error('Database is not open'), { code: 'LEVEL_DATABASE_NOT_OPEN' });
  const url = await serve(t, { store: { deadLetters: async () => Promise.reject(notOpen) } });
  const answer = await get(`${url}/dlq`);
  t.equal(answer.status, 500);
  t.equal(answer.body.error?.code, 'TROUPE_INTERNAL');
  t.match(answer.body.error?.message, /Database is not open/, 'the message says what failed');
});

t.test('a bug (a plain throw) answers 500 TROUPE_INTERNAL, not TROUPE_SERVICE_FAILED', async (t) => {
  const url = await serve(t, { host: { counts: () => { throw new TypeError('x is undefined'); } } });
  const answer = await get(`${url}/actors`);
  t.equal(answer.status, 500);
  t.equal(answer.body.error?.code, 'TROUPE_INTERNAL');
});

t.test('troupe\'s own errors keep their code and status', async (t) => {
  const url = await serve(t, { store: { deadLetters: async () => Promise.reject(new TroupeError('TROUPE_STORE_FAILED', 'disk')) } });
  const answer = await get(`${url}/dlq`);
  t.equal(answer.status, 500);
  t.equal(answer.body.error?.code, 'TROUPE_STORE_FAILED');
  t.equal((await get(`${url}/nowhere`)).body.error?.code, 'TROUPE_NOT_FOUND');
});

t.test('a publish over HTTP is checked by the fabric alone: a correlation id may have 256 characters, not 257', async (t) => {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  const host = new Host({ services: [], schedule: () => {} });
  const fabric = new Fabric({ id: 'n1', store, host, log: pino({ level: 'silent' }) });
  t.teardown(async () => {
    await fabric.stop();
    await store.close();
  });
  const url = await serve(t, { fabric, host, store });
  const post = (body: unknown) => fetch(`${url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const long = await post({ type: 'Ping', correlationId: 'c'.repeat(257) });
  t.equal(long.status, 400);
  t.match(await long.json(), { error: { code: 'TROUPE_BAD_REQUEST' } });
  const ok = await post({ type: 'Ping', correlationId: 'c'.repeat(256) });
  t.equal(ok.status, 201, '256 characters, as peers accept');
  t.match(await ok.json(), { seq: 1, correlationId: 'c'.repeat(256) });
  t.equal(fabric.size, 1, 'only the valid one was logged');
});

t.test('an actor whose context holds a bigint is shown, the bigint as a string, not a 500', async (t) => {
  const actor = { service: 'counter', key: 'k', state: 'counting', status: 'active', context: { total: 12345678901234567890n } };
  const url = await serve(t, {
    host: { counts: () => ({ counter: { counting: 1 } }), actors: { size: 1 }, view: () => actor },
    store: { actors: { page: async () => ({ records: [{ service: 'counter', key: 'k' }], next: null }) } },
  });
  const res = await fetch(`${url}/actors`);
  t.equal(res.status, 200, '/actors answers 200');
  const body = (await res.json()) as { actors: { context: { total: unknown } }[] };
  t.equal(body.actors[0]?.context.total, '12345678901234567890', 'the bigint reads as its decimal string');
});
