/** `troupe keys`: creating a node's key beside its data directory and printing its trust list line. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { NodeIdentity, TrustList } from '../protocol/node-keys.js';
import { readKeyFile } from '../nodes/key-files.js';
import { keysCommand } from '../nodes/keys-command.js';
import { codeOf } from './helpers/codec-fixtures.js';

function run(argv: string[]): string {
  const out = new PassThrough();
  keysCommand(argv, out);
  return String(out.read() ?? '');
}

t.test('keys new writes an owner-only key beside the data dir and prints its trust list line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-keys-cmd-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const line = run(['new', '--id', 'n1', '--data', join(dir, 'n1')]);
  const file = join(dir, 'n1.key');
  t.equal((await stat(file)).mode & 0o777, 0o600, 'the key file is readable by its owner only');
  const trust = TrustList.parse(line, 'out');
  t.ok(new NodeIdentity('n1', readKeyFile(file, 'n1'), trust), 'the printed line names n1 with the key written');
  t.equal(run(['show', '--id', 'n1', '--key', file]), line, 'keys show prints the same line');
  const before = await readFile(file, 'utf8');
  t.equal(codeOf(() => run(['new', '--id', 'n1', '--key', file])), 'TROUPE_BAD_FLAGS', 'an existing key is never overwritten');
  t.equal(await readFile(file, 'utf8'), before, 'and is left as it was');
  t.equal(codeOf(() => run(['show', '--id', 'n2', '--key', join(dir, 'none.key')])), 'TROUPE_KEY_INVALID', 'show of a missing key');
  t.equal(codeOf(() => run(['new', '--id', 'n1'])), 'TROUPE_BAD_FLAGS', 'new without --key or --data');
  t.equal(codeOf(() => run(['rotate', '--id', 'n1', '--key', file])), 'TROUPE_BAD_FLAGS', 'an unknown action');
});
