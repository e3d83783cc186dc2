/**
 * `troupe keys new|show --id ID (--key FILE | --data DIR)`: a node's key pair.
 *
 * `new` creates the private key file (owner-only, never over an existing one) and prints
 * the node's trust list line, `ID PUBLICKEY`, to add to the cluster's trust list (`--trust
 * FILE` of every node); `show` prints that line for an existing key. Without `--key`, the
 * file is the node's default, `<DIR>.key` beside its data directory.
 */
import { NODE_ID_PATTERN } from '../protocol/envelope.js';
import { TrustList } from '../protocol/node-keys.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { createKeyFile, defaultKeyFile, readKeyFile } from './key-files.js';
import { parseVerb } from './verb-args.js';

/** The synopsis of `troupe keys`. */
export const KEYS_USAGE = 'troupe keys new|show --id ID (--key FILE | --data DIR)';

/** Runs `troupe keys` with the arguments after `keys`; writes the trust list line to `out`. */
export function keysCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): void {
  const { values, positionals } = parseVerb(argv, 'keys', { id: { type: 'string' }, key: { type: 'string' }, data: { type: 'string' } });
  const bad = (why: string): TroupeError => new TroupeError('TROUPE_BAD_FLAGS', `keys: ${why}`);
  const [action, ...extra] = positionals;
  if ((action !== 'new' && action !== 'show') || extra.length > 0) throw bad('say new or show');
  const id = values.id;
  if (typeof id !== 'string' || !NODE_ID_PATTERN.test(id)) throw bad('--id ID is required (1-64 letters, digits, . _ -)');
  const key = typeof values.key === 'string' && values.key !== '' ? values.key : undefined;
  const data = typeof values.data === 'string' && values.data !== '' ? values.data : undefined;
  if ((key === undefined) === (data === undefined)) throw bad('give --key FILE or --data DIR (the key then sits beside it), one of them');
  const file = key ?? defaultKeyFile(data as string);
  const nodeKey = action === 'new' ? createKeyFile(file) : readKeyFile(file, id);
  out.write(TrustList.format([[id, nodeKey.publicKey]]));
}
