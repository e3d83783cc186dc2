/**
 * The admin API checks who asks, on real nodes: the bearer token of `--admin-token` on
 * every call and on the browser-facing WebSockets, the `Host` header against DNS
 * rebinding, JSON-only state changes against cross-site requests, no CORS, and no
 * token-less node off loopback.
 */
import t from 'tap';
import { runCli } from './helpers/cli-run.js';
import { waitForLinks } from './helpers/convergence.js';
import { wsUpgradeStatus } from './helpers/feed-client.js';
import { dumpOnFailure, startNode, tempDataDir } from './helpers/node-process.js';
import { httpExchange, type RawAnswer } from './helpers/raw-http.js';

const TOKEN = 'correct-horse-battery-staple';

function code(answer: RawAnswer): unknown {
  return (answer.body as { error?: { code?: unknown } } | undefined)?.error?.code;
}

t.test('with --admin-token every admin call needs the bearer token; the page\'s own files do not', async (t) => {
  const node = await startNode(t, { id: 'solo', adminToken: TOKEN });
  dumpOnFailure(t, () => [node]);
  const calls: [method: string, path: string][] = [
    ['GET', '/status'], ['GET', '/log'], ['GET', '/actors'], ['GET', '/dlq'], ['GET', '/metrics'], ['GET', '/app'],
    ['GET', '/cluster'], ['GET', '/trace/x'], ['GET', '/workflow/x'], ['POST', '/events'], ['POST', '/dlq/order/x/replay'],
    ['POST', '/links/n2/cut'],
  ];
  const body = JSON.stringify({ type: 'Ping' });
  for (const [method, path] of calls) {
    for (const [how, authorization] of [['no token', undefined], ['a wrong token', `Bearer ${TOKEN}x`], ['another scheme', `Basic ${TOKEN}`]]) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) };
      const answer = await httpExchange(`${node.url}${path}`, { method, headers, body: method === 'POST' ? body : undefined });
      t.equal(answer.status, 401, `${method} ${path} with ${how} answers 401`, { text: answer.text });
      t.equal(code(answer), 'TROUPE_UNAUTHORIZED', `${method} ${path} with ${how} answers TROUPE_UNAUTHORIZED`);
    }
  }
  const published = await node.admin.publish('Ping', { n: 1 });
  t.equal(published.seq, 1, 'POST /events with the token publishes');
  t.equal((await node.admin.status()).log.size, 1, 'only the authorized publish was logged');
  const page = await httpExchange(`${node.url}/`);
  t.equal(page.status, 200, 'the inspector page loads without the token (it then asks for it)');
});

t.test('the browser-facing WebSockets need the token as a bearer header or access_token; peer links do not', async (t) => {
  const first = await startNode(t, { id: 'n1', adminToken: TOKEN });
  const second = await startNode(t, { id: 'n2', env: { TROUPE_ADMIN_TOKEN: TOKEN }, peers: [first.wsUrl] });
  dumpOnFailure(t, () => [first, second]);
  await waitForLinks([first, second], [['n1', 'n2']]);
  for (const path of ['/feed', '/inspect']) {
    const url = `${first.wsUrl}${path}`;
    t.equal(await wsUpgradeStatus(url), 401, `${path} without the token is refused with 401`);
    t.equal(await wsUpgradeStatus(`${url}?access_token=wrong`), 401, `${path} with a wrong access_token is refused`);
    t.equal(await wsUpgradeStatus(`${url}?access_token=${encodeURIComponent(TOKEN)}`), 101, `${path} with access_token opens`);
    t.equal(await wsUpgradeStatus(url, { authorization: `Bearer ${TOKEN}` }), 101, `${path} with a bearer header opens`);
  }
  const cluster = await first.admin.request('GET', '/cluster');
  const nodes = (cluster.body as { nodes: { id: string; reachable: boolean }[] }).nodes;
  t.same(nodes.map((n) => [n.id, n.reachable]), [['n1', true], ['n2', true]], '/cluster passes the token on to the peer it reads');

  const denied = await runCli(['status', first.url]);
  t.equal(denied.code, 1, 'troupe status without the token exits 1');
  t.match(denied.stderr, /TROUPE_UNAUTHORIZED/, 'and says the node wants its token');
  const status = await runCli(['status', first.url, '--token', TOKEN]);
  t.equal(status.code, 0, 'troupe status --token reads the cluster', { stderr: status.stderr });
  t.match(status.stdout, /2 nodes reached/);
});

t.test('a node bound off loopback refuses to start without a token unless --insecure-admin', async (t) => {
  const data = await tempDataDir(t, 'offloop');
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: a node that gets past the check fails to listen.
  const args = ['node', '--id', 'off', '--port', '0', '--data', data, '--app', 'examples/orders', '--secret', 's', '--host', '192.0.2.1'];
  const refused = await runCli(args);
  t.equal(refused.code, 2, 'without a token the node exits 2');
  t.match(refused.stderr, /--admin-token/, 'and says to give it a token', { stderr: refused.stderr });
  t.notMatch(refused.stderr, /TROUPE_LISTEN_FAILED/, 'before trying to listen');
  for (const extra of [['--insecure-admin'], ['--admin-token', TOKEN]]) {
    const run = await runCli([...args, ...extra]);
    t.match(run.stderr, /TROUPE_LISTEN_FAILED/, `with ${extra[0]} it goes on to listen`, { stderr: run.stderr });
  }
});

t.test('a cross-site simple POST is refused with 415, and no CORS header is ever sent', async (t) => {
  const node = await startNode(t, { id: 'solo', extraArgs: ['--chaos'] });
  dumpOnFailure(t, () => [node]);
  const origin = 'https://evil.example';
  for (const path of ['/events', '/links/n2/cut', '/dlq/order/x/replay']) {
    const answer = await httpExchange(`${node.url}${path}`, {
      method: 'POST',
      headers: { origin, 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ type: 'Ping' }),
    });
    t.equal(answer.status, 415, `a text/plain POST ${path} answers 415`, { text: answer.text });
    t.equal(code(answer), 'TROUPE_UNSUPPORTED_MEDIA_TYPE');
  }
  const status = await node.admin.status();
  t.equal(status.log.size, 0, 'nothing was published');
  t.notOk(status.peers.some((p) => (p as { cut?: boolean }).cut === true), 'nothing was cut');
  const preflight = await httpExchange(`${node.url}/events`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  const read = await httpExchange(`${node.url}/status`, { headers: { origin } });
  for (const [what, answer] of [['a preflight', preflight], ['a cross-site GET', read]] as const) {
    const cors = Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));
    t.same(cors, [], `${what} gets no access-control-* header`);
  }
});

t.test('a Host header that does not name the node is refused with 403 TROUPE_FORBIDDEN_HOST', async (t) => {
  const node = await startNode(t, { id: 'solo', extraArgs: ['--admin-host', 'troupe.test'] });
  dumpOnFailure(t, () => [node]);
  const port = node.port!;
  for (const host of [`rebind.evil.example:${port}`, 'rebind.evil.example', `127.0.0.1.evil.example:${port}`, `troupe.test.evil.example:${port}`]) {
    for (const path of ['/status', '/', '/events']) {
      const method = path === '/events' ? 'POST' : 'GET';
      const answer = await httpExchange(`${node.url}${path}`, {
        method,
        headers: { host, 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ type: 'Ping' }) : undefined,
      });
      t.equal(answer.status, 403, `${method} ${path} with Host ${host} answers 403`, { text: answer.text });
      t.equal(code(answer), 'TROUPE_FORBIDDEN_HOST');
    }
    t.equal(await wsUpgradeStatus(`${node.wsUrl}/feed`, { host }), 403, `/feed with Host ${host} is refused with 403`);
  }
  t.equal((await node.admin.status()).log.size, 0, 'nothing was published');
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`, `troupe.test:${port}`]) {
    const answer = await httpExchange(`${node.url}/status`, { headers: { host } });
    t.equal(answer.status, 200, `Host ${host} names the node`, { text: answer.text });
  }
  t.equal(await wsUpgradeStatus(`${node.wsUrl}/feed`, { host: `localhost:${port}` }), 101, '/feed with Host localhost opens');
});
