/**
 * TLS: with a certificate and key a node serves its admin API over HTTPS and peers over
 * `wss://`; a peer that trusts the certificate's CA links to it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import t from 'tap';
import { crashed, dumpOnFailure, startNode } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

/** GET or POST over HTTPS, trusting `ca`; resolves with status and parsed body. */
function httpsJson(url: string, ca: Buffer, method = 'GET', body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

t.test('nodes link over wss:// and serve the admin API over HTTPS', async (t) => {
  const dir = t.testdir();
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const ca = readFileSync(cert);
  const tls = ['--tls-cert', cert, '--tls-key', key, '--tls-ca', cert];

  const a = await startNode(t, { id: 'a', extraArgs: tls });
  const aUrl = `https://127.0.0.1:${a.port}`;
  const b = await startNode(t, { id: 'b', extraArgs: tls, peers: [`wss://127.0.0.1:${a.port}`] });
  const bUrl = `https://127.0.0.1:${b.port}`;
  const nodes = [a, b];
  dumpOnFailure(t, () => nodes);
  t.match(a.records((r) => r.msg === 'listening')[0], { url: aUrl }, 'the node announces an https URL');

  const published = await httpsJson(`${aUrl}/events`, ca, 'POST', { type: 'Ping', data: { over: 'tls' } });
  t.equal(published.status, 201, 'publishing over HTTPS is acknowledged');
  const status = await waitFor(() => httpsJson(`${bUrl}/status`, ca), {
    failFast: crashed(nodes),
    until: (s) => s.body.vc[(published.body as { origin: string }).origin] === 1,
    message: () => `b to receive a's event over wss://\n${b.tail()}`,
    describe: (s) => JSON.stringify(s.body),
  });
  t.match(status.body.peers, [{ id: 'a', connected: true }], 'b is linked to a over wss://');
});
