/**
 * `troupe forget <node-url> <id> [--timeout MS] [--token T]`: retires node id `id` for good
 * through the node at `node-url` (`POST /nodes/<id>/retire`), and prints the retirement as
 * committed there, one JSON line: `{"id":"n1:58",…,"origins":{"n3~V1StGX":12}}`.
 *
 * Every node that delivers the retirement leaves the id's origins out of the clocks it
 * stamps and refuses the id's links (close 4410, `TROUPE_NODE_RETIRED`). Stop the node
 * first: a node linked to `node-url` right now is not retired.
 */
import { NODE_ID_PATTERN } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { adminToken, nodeUrl, parseVerb, timeoutFlag } from './verb-args.js';

/** The synopsis of `troupe forget`. */
export const FORGET_USAGE = 'troupe forget <node-url> <id> [--timeout MS] [--token T]';

/** `troupe forget` arguments. */
export interface ForgetArgs {
  readonly url: string;
  /** The node id to retire. */
  readonly node: string;
  readonly timeoutMs: number;
  /** The admin token (`--token`, else `TROUPE_ADMIN_TOKEN`). */
  readonly token?: string;
}

/**
 * Reads the arguments of `troupe forget` (those after `forget`).
 * @throws TroupeError `TROUPE_BAD_FLAGS` on a missing URL or id, an invalid id, extra arguments or an unknown flag.
 */
export function parseForgetArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ForgetArgs {
  const { values, positionals } = parseVerb(argv, 'forget', { timeout: { type: 'string', default: '10000' } });
  const [rawUrl, node, ...extra] = positionals;
  const url = nodeUrl(rawUrl, 'forget');
  if (node === undefined || !NODE_ID_PATTERN.test(node)) throw new TroupeError('TROUPE_BAD_FLAGS', `forget: a node id to retire is required, got ${JSON.stringify(node ?? '')}`);
  if (extra.length > 0) throw new TroupeError('TROUPE_BAD_FLAGS', `forget: a URL and one node id, got ${positionals.length} arguments`);
  const token = adminToken(values, 'forget', env);
  return { url, node, timeoutMs: timeoutFlag(values.timeout as string, 'forget'), ...(token === undefined ? {} : { token }) };
}

/**
 * Runs `troupe forget`: the retirement as committed, on `out`.
 * @throws TroupeError `TROUPE_NODE_UNREACHABLE` when the node does not answer in time, or
 *   the node's refusal (`TROUPE_BAD_REQUEST` for its own id or a linked peer, …) with its code.
 */
export async function forgetCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const args = parseForgetArgs(argv);
  const target = `${args.url}/nodes/${encodeURIComponent(args.node)}/retire`;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(args.token === undefined ? {} : { authorization: `Bearer ${args.token}` }) };
  let response: Response;
  try {
    response = await fetch(target, { method: 'POST', headers, body: '{}', signal: AbortSignal.timeout(args.timeoutMs) });
  } catch (cause) {
    throw new TroupeError('TROUPE_NODE_UNREACHABLE', `POST ${target}: ${(cause as Error).message}`, { cause });
  }
  const text = await response.text();
  if (!response.ok) throw refusal(target, response.status, text);
  out.write(`${text.trim()}\n`);
}

/** The admin API's `{ error: { code, message } }` as a TroupeError with that code. */
function refusal(target: string, status: number, text: string): TroupeError {
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
  } catch {
    error = undefined;
  }
  if (error?.code === 'TROUPE_BAD_REQUEST' || error?.code === 'TROUPE_UNAUTHORIZED' || error?.code === 'TROUPE_NODE_STOPPING') {
    return new TroupeError(error.code, `forget: ${error.message ?? ''}`);
  }
  return new TroupeError('TROUPE_NODE_UNREACHABLE', `POST ${target} answered ${status} ${error === undefined ? text.slice(0, 200) : `${error.code}: ${error.message}`}`);
}
