/**
 * What may be published, and the one check of it. Every publish from outside the
 * cluster (the admin API, `RunningNode.publish`, tools) goes through `Fabric.publish`,
 * which checks it here first, by the wire's own field rules (`protocol/wire-fields.ts`):
 * what passes is what every peer accepts. The data is checked when the event is stamped
 * (`TROUPE_PROTOCOL_BAD_EVENT`): JSON-like (`protocol/event-data.ts`), 1 MiB at most.
 */
import { TroupeError } from '../protocol/troupe-error.js';
import { isName, MAX_NAME_LENGTH } from '../protocol/wire-fields.js';

/** What to publish: an event from outside the cluster (admin API) or from a tool. */
export interface PublishInput {
  readonly type: string;
  readonly data?: unknown;
  readonly correlationId?: string;
}

/**
 * Checks that `input` is a publish: `type` a name (1 to 256 characters that survive
 * UTF-8), `correlationId` absent or such a name, `data` anything.
 *
 * @throws TroupeError `TROUPE_BAD_REQUEST` naming the first field that is not.
 */
export function checkPublish(input: unknown): asserts input is PublishInput {
  if (input === null || typeof input !== 'object') throw new TroupeError('TROUPE_BAD_REQUEST', 'a publish is an object { type, data?, correlationId? }');
  const { type, correlationId } = input as Record<string, unknown>;
  if (!isName(type)) throw new TroupeError('TROUPE_BAD_REQUEST', `\`type\` must be a string of 1 to ${MAX_NAME_LENGTH} characters`);
  if (correlationId !== undefined && !isName(correlationId)) {
    throw new TroupeError('TROUPE_BAD_REQUEST', `\`correlationId\` must be a string of 1 to ${MAX_NAME_LENGTH} characters`);
  }
}
