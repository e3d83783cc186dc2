/**
 * The keys of the node's LevelDB (`store.ts`).
 *
 * Layout (string keys; numbers are fixed-width hex so that keys sort numerically):
 *
 * | key                         | value                                            |
 * | --------------------------- | ------------------------------------------------ |
 * | `pos/<n>`                   | the encoded event delivered n-th here (n from 1) |
 * | `clk/<n>`                   | the clock before the commit that began at `pos/n` |
 * | `meta/vc`                   | the committed vector clock                       |
 * | `meta/ts`                   | the newest hybrid time delivered or stamped here  |
 * | `meta/held`                 | empty: the log holds events the actors were not handed (rebuild them) |
 * | `meta/node`                 | the node id this database belongs to             |
 * | `meta/interest`             | the interest the node last ran with (`interest.ts`) |
 * | `skip/<origin>`             | seq ranges of that origin counted but not held    |
 * | `refill/<origin>`           | seq ranges of that origin to fetch back (widened interest) |
 * | `lost/<origin>`             | seq ranges of that origin counted as lost and still asked for (`lost-events.ts`) |
 * | `ack/<peer>`                | the clock that peer last acknowledged            |
 * | `dur/<peer>`                | whether that clock was acknowledged durably (`true`) or `--relaxed` |
 * | `actor/<service>/<key>`     | an actor's persisted snapshot and pending timers |
 * | `dlq/<service>/<eventId>`   | a dead letter                                    |
 * | `corr/<correlationId>/<n>`  | empty: the events of one workflow, for `/trace`   |
 * | `due/<due>/<service>/<key>` | `[service, key]`: an actor's earliest timer due   |
 * | `meta/actors`               | actors per service and state (`actor-index.ts`)   |
 * | `prf/<origin>/<last>`       | a checkpoint of origin's events up to seq `last`: its `proof` frame, or without its hashes where its events are in the same commit (`stored-checkpoint.ts`) |
 * | `meta/first`                | the first position retained (`log-compaction.ts`); absent: 1 |
 * | `meta/bytes`                | bytes of the retained events (`pos/` values)      |
 * | `meta/retired`              | retired origins' final seqs and retired node ids (`retirements.ts`) |
 */

/** A position as a fixed-width hex number, so that keys sort numerically. */
export const hex = (n: number): string => n.toString(16).padStart(14, '0');

/** The key of the event delivered `n`-th here. */
export const posKey = (n: number): string => `pos/${hex(n)}`;

/** The key of the clock before the commit that began at position `n`. */
export const clockKey = (n: number): string => `clk/${hex(n)}`;

/** The key of the checkpoint of `origin` whose last seq is `last`. */
export const proofKey = (origin: string, last: number): string => `prf/${origin}/${hex(last)}`;

/** The key of the record of the actor of `service` for entity `key`. */
export const actorKey = (service: string, key: string): string => `actor/${service}/${key}`;

/** The key of the due-index entry of the actor of `service` for `key`, whose earliest timer is due at `due` (ms). */
export const dueKey = (due: number, service: string, key: string): string => `due/${hex(Math.max(0, Math.floor(due)))}/${service}/${key}`;

/** The key before every due-index entry due after `due` (ms). */
export const dueBound = (due: number): string => `due/${hex(Math.max(0, Math.floor(due)))}0`;

/** The key of the first position the log retains. */
export const LOG_FIRST_KEY = 'meta/first';

/** The key of the bytes of events the log retains. */
export const LOG_BYTES_KEY = 'meta/bytes';

/** The key of the retirements delivered here. */
export const RETIRED_KEY = 'meta/retired';

/** The key of the count of actors per service and state. */
export const ACTOR_COUNTS_KEY = 'meta/actors';

/** The key of the dead letter of `service` for event `eventId`. */
export const dlqKey = (service: string, eventId: string): string => `dlq/${service}/${eventId}`;

const KEY_SAFE = /^[A-Za-z0-9_.:~-]+$/;

/**
 * The prefix of a workflow's `corr/` keys. Event ids (`origin:seq`, the default correlation
 * id) and nanoids need no escaping; other ids are escaped so that no `/` in one can make
 * its prefix match another's keys.
 */
export const corrPrefix = (correlationId: string): string =>
  `corr/${KEY_SAFE.test(correlationId) ? correlationId : encodeURIComponent(correlationId)}/`;
