import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { AdminGuard, isLoopbackName } from '../runtime/admin-guard.js';

/** The parts of a request the guard reads. */
function req(fields: { method?: string; url?: string; headers?: Record<string, string> }): IncomingMessage {
  return { method: fields.method ?? 'GET', url: fields.url ?? '/status', headers: { host: '127.0.0.1:7401', ...fields.headers } } as unknown as IncomingMessage;
}

function refusal(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

t.test('a loopback bind answers to the loopback names and its own address, on any port', async (t) => {
  const guard = new AdminGuard('127.0.0.2');
  for (const host of ['127.0.0.1:7401', 'localhost', 'LocalHost:1', '[::1]:7401', '127.0.0.2:7401']) {
    t.equal(refusal(() => guard.checkRequest(req({ headers: { host } }), false)), undefined, host);
  }
  for (const host of ['evil.example:7401', '127.0.0.1.evil.example', 'localhost.', 'evil@127.0.0.1', '127.0.0.1/x', '', '[::2]:7401']) {
    t.equal(refusal(() => guard.checkRequest(req({ headers: { host } }), false)), 'TROUPE_FORBIDDEN_HOST', JSON.stringify(host));
  }
});

t.test('a wildcard bind answers to loopback names and the names it is told, not to its wildcard', async (t) => {
  const guard = new AdminGuard('0.0.0.0', { token: 'x', hosts: ['Node1.Lan', 'fd00::1'] });
  const auth = { authorization: 'Bearer x' };
  for (const host of ['localhost:7401', 'node1.lan:7401', '[fd00::1]:7401']) {
    t.equal(refusal(() => guard.checkRequest(req({ headers: { host, ...auth } }), false)), undefined, host);
  }
  for (const host of ['0.0.0.0:7401', '10.0.0.5:7401']) {
    t.equal(refusal(() => guard.checkRequest(req({ headers: { host, ...auth } }), false)), 'TROUPE_FORBIDDEN_HOST', host);
  }
});

t.test('off loopback, a node needs a token or an explicit insecure flag', async (t) => {
  for (const bind of ['0.0.0.0', '::', '10.0.0.5', 'node1.lan']) {
    t.throws(() => new AdminGuard(bind), { code: 'TROUPE_INSECURE_ADMIN' }, bind);
    t.throws(() => new AdminGuard(bind, { token: '' }), { code: 'TROUPE_INSECURE_ADMIN' }, `${bind} with an empty token`);
    t.doesNotThrow(() => new AdminGuard(bind, { token: 't' }), `${bind} with a token`);
    t.doesNotThrow(() => new AdminGuard(bind, { insecure: true }), `${bind} told --insecure-admin`);
  }
  for (const bind of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) {
    t.ok(isLoopbackName(bind), bind);
    t.doesNotThrow(() => new AdminGuard(bind), `${bind} needs no token`);
  }
});

t.test('with a token, a request needs it as a bearer header; an upgrade may carry it as access_token', async (t) => {
  const guard = new AdminGuard('127.0.0.1', { token: 's3cret' });
  t.equal(refusal(() => guard.checkRequest(req({ headers: { authorization: 'Bearer s3cret' } }), false)), undefined);
  t.equal(refusal(() => guard.checkRequest(req({ headers: { authorization: 'bearer  s3cret' } }), false)), undefined, 'the scheme in any case');
  for (const authorization of [undefined, 'Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 's3cret', 'Bearer ']) {
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    t.equal(refusal(() => guard.checkRequest(req({ headers }), false)), 'TROUPE_UNAUTHORIZED', String(authorization));
  }
  t.equal(refusal(() => guard.checkRequest(req({ url: '/status?access_token=s3cret' }), false)), 'TROUPE_UNAUTHORIZED', 'a plain request may not use the query');
  t.equal(refusal(() => guard.checkUpgrade(req({ url: '/feed?access_token=s3cret' }))), undefined, 'an upgrade may');
  t.equal(refusal(() => guard.checkUpgrade(req({ url: '/feed?access_token=nope' }))), 'TROUPE_UNAUTHORIZED');
  t.equal(refusal(() => guard.checkUpgrade(req({ url: '/feed', headers: { authorization: 'Bearer s3cret' } }))), undefined);
  t.equal(refusal(() => guard.checkRequest(req({ url: '/' }), true)), undefined, 'the page\'s own files need no token');
  t.equal(refusal(() => guard.checkRequest(req({ url: '/', headers: { host: 'evil.example' } }), true)), 'TROUPE_FORBIDDEN_HOST', 'but do need the Host');
  t.equal(guard.token, 's3cret', 'the guard passes its token on to the cluster reader');
});

t.test('a state change must be application/json; reads need no content type', async (t) => {
  const guard = new AdminGuard('127.0.0.1');
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
    t.equal(refusal(() => guard.checkRequest(req({ method: 'POST', headers: { 'content-type': type } }), false)), undefined, type);
  }
  for (const type of [undefined, 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx']) {
    const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
    for (const method of ['POST', 'PUT', 'DELETE']) {
      t.equal(refusal(() => guard.checkRequest(req({ method, headers }), false)), 'TROUPE_UNSUPPORTED_MEDIA_TYPE', `${method} ${String(type)}`);
    }
  }
  t.equal(refusal(() => guard.checkRequest(req({ method: 'GET', headers: { 'content-type': 'text/plain' } }), false)), undefined);
  t.equal(refusal(() => guard.checkRequest(req({ method: 'HEAD' }), false)), undefined);
});
