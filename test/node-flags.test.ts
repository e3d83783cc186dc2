import t from 'tap';
import { parseNodeFlags } from '../nodes/node-flags.js';

const required = ['--id', 'n1', '--port', '0', '--data', '/tmp/d', '--app', 'examples/orders', '--secret', 's'];

t.test('--inspect takes the URL of a Stately inspector server', async (t) => {
  t.equal(parseNodeFlags([...required, '--inspect', 'ws://localhost:8080']).inspect, 'ws://localhost:8080');
  t.equal(parseNodeFlags([...required, '--inspect', 'wss://inspect.example:443/x']).inspect, 'wss://inspect.example:443/x');
  t.equal(parseNodeFlags(required).inspect, undefined, 'and is off without it');
});

t.test('rejects an --inspect that is not a ws:// or wss:// URL with TROUPE_BAD_FLAGS', async (t) => {
  for (const url of ['localhost:8080', 'http://localhost:8080', '']) {
    t.throws(() => parseNodeFlags([...required, '--inspect', url]), { name: 'TroupeError', code: 'TROUPE_BAD_FLAGS' }, url);
  }
});

t.test('--chaos is off unless given', async (t) => {
  t.equal(parseNodeFlags(required, {}).chaos, false);
  t.equal(parseNodeFlags([...required, '--chaos'], {}).chaos, true);
});

t.test('--chaos takes no value', async (t) => {
  t.throws(() => parseNodeFlags([...required, '--chaos=yes'], {}), { code: 'TROUPE_BAD_FLAGS' });
});

t.test('the admin token comes from --admin-token, else TROUPE_ADMIN_TOKEN; an empty flag is refused', async (t) => {
  t.equal(parseNodeFlags([...required, '--admin-token', 'flag'], { TROUPE_ADMIN_TOKEN: 'env' }).adminToken, 'flag');
  t.equal(parseNodeFlags(required, { TROUPE_ADMIN_TOKEN: 'env' }).adminToken, 'env');
  t.equal(parseNodeFlags(required, {}).adminToken, undefined);
  t.throws(() => parseNodeFlags([...required, '--admin-token', ''], {}), { code: 'TROUPE_BAD_FLAGS' });
});

t.test('--admin-host repeats and takes host names or addresses; --insecure-admin is off unless given', async (t) => {
  const flags = parseNodeFlags([...required, '--admin-host', 'troupe.test', '--admin-host', '[fd00::1]'], {});
  t.same(flags.adminHosts, ['troupe.test', '[fd00::1]']);
  t.equal(flags.insecureAdmin, false);
  t.equal(parseNodeFlags([...required, '--insecure-admin'], {}).insecureAdmin, true);
  for (const bad of ['evil.example/x', 'user@host', 'a b']) {
    t.throws(() => parseNodeFlags([...required, '--admin-host', bad], {}), { code: 'TROUPE_BAD_FLAGS' }, bad);
  }
});

t.test('--trust turns keys on, with the key beside the data directory unless --key says', async (t) => {
  t.equal(parseNodeFlags(required, {}).keys, undefined, 'no --trust: the secret alone');
  t.same(parseNodeFlags([...required, '--trust', '/etc/trust'], {}).keys, { trust: '/etc/trust', key: '/tmp/d.key' });
  t.same(parseNodeFlags(['--id', 'n1', '--port', '0', '--data', '/tmp/d/', '--app', 'a', '--secret', 's', '--trust', 't'], {}).keys?.key, '/tmp/d.key', 'a trailing slash is not part of the name');
  t.same(parseNodeFlags([...required, '--trust', 't', '--key', '/k'], {}).keys, { trust: 't', key: '/k' });
  t.throws(() => parseNodeFlags([...required, '--key', '/k'], {}), { code: 'TROUPE_BAD_FLAGS' }, '--key without --trust');
  t.throws(() => parseNodeFlags([...required, '--trust', ''], {}), { code: 'TROUPE_BAD_FLAGS' }, 'an empty --trust');
});

t.test('--passivate-after takes a duration, and the byte bounds a size', async (t) => {
  const flags = parseNodeFlags([...required, '--passivate-after', '30s', '--buffer-bytes', '64MiB', '--recent-bytes', '2GB', '--page-bytes', '1048576'], {});
  t.equal(flags.passivateAfterMs, 30_000);
  t.same(flags.fabric, { bufferBytes: 64 * 2 ** 20, recentBytes: 2e9, intakeBytes: undefined, pageBytes: 1_048_576 });
  t.equal(parseNodeFlags([...required, '--passivate-after', '250ms'], {}).passivateAfterMs, 250);
  t.equal(parseNodeFlags([...required, '--passivate-after', '1h'], {}).passivateAfterMs, 3_600_000);
  t.equal(parseNodeFlags(required, {}).passivateAfterMs, undefined, 'the default unless given');
});

t.test('refuses a duration or size it cannot read, or a size under 1 KiB, with TROUPE_BAD_FLAGS', async (t) => {
  for (const bad of [['--passivate-after', 'soon'], ['--passivate-after', '0'], ['--passivate-after', '5 weeks'], ['--buffer-bytes', 'lots'], ['--recent-bytes', '512'], ['--intake-bytes', '-1MiB']]) {
    t.throws(() => parseNodeFlags([...required, ...bad], {}), { code: 'TROUPE_BAD_FLAGS' }, bad.join(' '));
  }
});

t.test('--retain, --retain-events, --retain-bytes and --retain-cap make a retention policy; none keeps everything', async (t) => {
  const flags = parseNodeFlags([...required, '--retain', '7d', '--retain-events', '1000', '--retain-bytes', '2GB', '--retain-cap', '10GiB'], {});
  t.same(flags.retention, { maxAgeMs: 7 * 86_400_000, maxEvents: 1000, maxBytes: 2e9, capBytes: 10 * 2 ** 30 });
  t.same(parseNodeFlags([...required, '--retain-events', '5'], {}).retention, { maxAgeMs: undefined, maxEvents: 5, maxBytes: undefined, capBytes: undefined });
  t.equal(parseNodeFlags(required, {}).retention, undefined, 'no flag: the log keeps everything');
  const bad = [['--retain', 'forever'], ['--retain', '0'], ['--retain-events', '0'], ['--retain-events', '1.5'], ['--retain-events', 'many'], ['--retain-bytes', '2 GB'], ['--retain-cap', '100'], ['--retain-bytes', '2GB', '--retain-cap', '1GB']];
  for (const args of bad) t.throws(() => parseNodeFlags([...required, ...args], {}), { code: 'TROUPE_BAD_FLAGS' }, args.join(' '));
});

t.test('--want is repeatable, absent when not given, and refuses a pattern with a star inside', async (t) => {
  t.same(parseNodeFlags([...required, '--want', 'alert.*', '--want', 'reading'], {}).want, ['alert.*', 'reading']);
  t.equal(parseNodeFlags(required, {}).want, undefined);
  t.throws(() => parseNodeFlags([...required, '--want', 'a*b'], {}), { code: 'TROUPE_BAD_FLAGS' });
});
