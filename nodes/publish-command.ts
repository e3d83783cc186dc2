/**
 * `troupe publish <node-url> <type> [json] [--correlation C] [--token T]`: publishes one event through
 * a node's `/client` WebSocket (`troupe/client`) and prints its acknowledgement once it is
 * committed there, as one JSON line: `{"id":"n1:58","origin":"n1","seq":58,"vc":{…},"correlationId":"n1:58"}`.
 */
import { connect } from '../client/troupe-client.js';
import type { ClientPublishInput } from '../protocol/client-message.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { adminToken, nodeUrl, parseVerb } from './verb-args.js';

/** The synopsis of `troupe publish`. */
export const PUBLISH_USAGE = 'troupe publish <node-url> <type> [json-data] [--correlation C] [--token T]';

/** `troupe publish` arguments. */
export interface PublishArgs {
  readonly url: string;
  readonly event: ClientPublishInput;
  /** The admin token (`--token`, else `TROUPE_ADMIN_TOKEN`). */
  readonly token?: string;
}

/**
 * Reads the arguments of `troupe publish` (those after `publish`).
 * @throws TroupeError `TROUPE_BAD_FLAGS` on a missing URL or type, data that is not JSON,
 *   an empty `--correlation` or an unknown flag.
 */
export function parsePublishArgs(argv: readonly string[]): PublishArgs {
  const { values, positionals } = parseVerb(argv, 'publish', { correlation: { type: 'string' } });
  const [rawUrl, type, json, ...extra] = positionals;
  const url = nodeUrl(rawUrl, 'publish');
  if (type === undefined || type === '') throw new TroupeError('TROUPE_BAD_FLAGS', 'publish: an event type is required');
  if (extra.length > 0) throw new TroupeError('TROUPE_BAD_FLAGS', `publish: a URL, a type and at most one JSON value, got ${positionals.length} arguments`);
  const correlationId = values.correlation as string | undefined;
  if (correlationId === '') throw new TroupeError('TROUPE_BAD_FLAGS', 'publish: --correlation must not be empty');
  let data: unknown;
  if (json !== undefined) {
    try {
      data = JSON.parse(json);
    } catch {
      throw new TroupeError('TROUPE_BAD_FLAGS', `publish: the data is not JSON: ${json.slice(0, 80)}`);
    }
  }
  const token = adminToken(values, 'publish');
  return { url, ...(token === undefined ? {} : { token }), event: { type, ...(data === undefined ? {} : { data }), ...(correlationId === undefined ? {} : { correlationId }) } };
}

/**
 * Runs `troupe publish`: one event, its acknowledgement on `out`.
 * @throws TroupeError `TROUPE_NODE_UNREACHABLE` when the node does not answer, or the
 *   node's refusal (`TROUPE_BAD_REQUEST`, `TROUPE_NODE_STOPPING`, …).
 */
export async function publishCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const args = parsePublishArgs(argv);
  const client = await connect(args.url, { token: args.token });
  try {
    const ack = await client.publish(args.event);
    out.write(`${JSON.stringify(ack)}\n`);
  } finally {
    await client.close();
  }
}
