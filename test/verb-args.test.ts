import t from 'tap';
import { adminToken, nodeUrl, parseVerb, timeoutFlag } from '../nodes/verb-args.js';

t.test('nodeUrl takes an admin URL or host:port, without a trailing slash', async (t) => {
  t.equal(nodeUrl('http://127.0.0.1:7401/', 'status'), 'http://127.0.0.1:7401');
  t.equal(nodeUrl('127.0.0.1:7401', 'status'), 'http://127.0.0.1:7401');
  t.equal(nodeUrl('https://node.example:8443', 'status'), 'https://node.example:8443');
});

t.test('nodeUrl refuses a missing URL, a peer URL, and what is not a URL', async (t) => {
  for (const raw of [undefined, '', 'ws://127.0.0.1:7401', 'http://[::1']) {
    t.throws(() => nodeUrl(raw, 'trace'), { code: 'TROUPE_BAD_FLAGS' }, String(raw));
  }
});

t.test('parseVerb names an unknown flag', async (t) => {
  t.throws(() => parseVerb(['http://x', '--colour'], 'tail', {}), { code: 'TROUPE_BAD_FLAGS', message: 'tail: unknown flag --colour' });
});

t.test('timeoutFlag takes whole milliseconds from 1 to 600000', async (t) => {
  t.equal(timeoutFlag('2500', 'status'), 2500);
  for (const raw of ['0', '-1', '1.5', 'soon', '600001']) t.throws(() => timeoutFlag(raw, 'status'), { code: 'TROUPE_BAD_FLAGS' }, raw);
});

t.test('every verb takes the admin token from --token, else from TROUPE_ADMIN_TOKEN', async (t) => {
  const env = { TROUPE_ADMIN_TOKEN: 'from-env' };
  t.equal(adminToken(parseVerb(['http://x', '--token', 'from-flag'], 'status', {}).values, 'status', env), 'from-flag');
  t.equal(adminToken(parseVerb(['http://x'], 'status', {}).values, 'status', env), 'from-env');
  t.equal(adminToken(parseVerb(['http://x'], 'status', {}).values, 'status', {}), undefined, 'none when neither is set');
  t.equal(adminToken(parseVerb(['http://x'], 'status', {}).values, 'status', { TROUPE_ADMIN_TOKEN: '' }), undefined, 'an empty variable is none');
  t.throws(() => adminToken(parseVerb(['http://x', '--token', ''], 'tail', {}).values, 'tail', env), { code: 'TROUPE_BAD_FLAGS' });
});
