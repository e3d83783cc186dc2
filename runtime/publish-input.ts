/**
 * What may be published, and the one check of it. Every publish from outside the
 * cluster (the admin API, `RunningNode.publish`, tools) goes through `Fabric.publish`,
 * which checks it here first, by the wire's own field rules (`protocol/wire-fields.ts`):
 * what passes is what every peer accepts. The data is checked when the event is stamped
 * (`TROUPE_PROTOCOL_BAD_EVENT`): JSON-like (`protocol/event-data.ts`), 1 MiB at most.
 */
import { encodeData } from '../protocol/client-codec.js';
import { isTroupeError, TroupeError } from '../protocol/troupe-error.js';
import { MAX_EVENT_VERSION } from '../protocol/event-codec.js';
import { RETIRED_TYPE } from '../protocol/retirement.js';
import { isName, isSeq, MAX_NAME_LENGTH } from '../protocol/wire-fields.js';

/** What to publish: an event from outside the cluster (admin API) or from a tool. */
export interface PublishInput {
  readonly type: string;
  readonly data?: unknown;
  readonly correlationId?: string;
  /** The version of the type the data has (`runtime/upcasters.ts`). [default 1] */
  readonly version?: number;
}

/**
 * Checks that `input` is a publish: `type` a name (1 to 256 characters that survive
 * UTF-8) other than the runtime's own `troupe.retired` (which retires origins cluster-wide,
 * so only `POST /nodes/:id/retire` and a start's retirement of its earlier origins stamp
 * it), `correlationId` absent or such a name, `version` absent or an integer from 1
 * to 2³²−1 (the version of the type the data has), `data` anything.
 *
 * @throws TroupeError `TROUPE_BAD_REQUEST` naming the first field that is not.
 */
export function checkPublish(input: unknown): asserts input is PublishInput {
  if (input === null || typeof input !== 'object') throw new TroupeError('TROUPE_BAD_REQUEST', 'a publish is an object { type, data?, correlationId?, version? }');
  const { type, correlationId } = input as Record<string, unknown>;
  if (!isName(type)) throw new TroupeError('TROUPE_BAD_REQUEST', `\`type\` must be a string of 1 to ${MAX_NAME_LENGTH} characters`);
  if (type === RETIRED_TYPE) throw new TroupeError('TROUPE_BAD_REQUEST', `\`${RETIRED_TYPE}\` is the runtime's own type: retire a node with POST /nodes/:id/retire (troupe forget)`);
  if (correlationId !== undefined && !isName(correlationId)) {
    throw new TroupeError('TROUPE_BAD_REQUEST', `\`correlationId\` must be a string of 1 to ${MAX_NAME_LENGTH} characters`);
  }
  const { version } = input as Record<string, unknown>;
  if (version !== undefined && (!isSeq(version) || version > MAX_EVENT_VERSION)) {
    throw new TroupeError('TROUPE_BAD_REQUEST', `\`version\` must be an integer from 1 to ${MAX_EVENT_VERSION}`);
  }
}

/** Most events one `POST /events` array may carry. */
export const MAX_PUBLISH_BATCH = 10_000;

/**
 * Checks a batch of publishes (the array form of `POST /events`) all at once, before any
 * is published: each by {@link checkPublish}, and its data encodable within the event
 * limit, so that bad input refuses the whole batch and changes nothing.
 *
 * @throws TroupeError `TROUPE_BAD_REQUEST` naming the first bad event's index, or
 *   `TROUPE_PROTOCOL_BAD_EVENT` for data that cannot be encoded or is over 1 MiB.
 */
export function checkPublishBatch(inputs: readonly unknown[]): PublishInput[] {
  if (inputs.length === 0 || inputs.length > MAX_PUBLISH_BATCH) {
    throw new TroupeError('TROUPE_BAD_REQUEST', `a batch holds 1 to ${MAX_PUBLISH_BATCH} events, got ${inputs.length}`);
  }
  return inputs.map((input, i) => {
    try {
      checkPublish(input);
      encodeData(input.data);
    } catch (err) {
      if (!isTroupeError(err)) throw err;
      throw new TroupeError(err.code, `event ${i}: ${err.message}`, { cause: err });
    }
    const { type, data, correlationId, version } = input;
    return version === undefined ? { type, data, correlationId } : { type, data, correlationId, version };
  });
}
