/**
 * A node's retention policy: how much of its log it wants to keep (`--retain 7d`,
 * `--retain-events N`, `--retain-bytes 2GB`), and the hard cap past which it removes
 * entries even though a member still lacks them (`--retain-cap 10GB`).
 *
 * An entry is *past the policy* once any of the set limits says so (as Kafka's time and
 * size retention: whichever triggers first): it is older than `maxAgeMs`, or more than
 * `maxEvents` newer entries follow it, or the entries from it on hold more than `maxBytes`.
 * Past the policy is only a wish: `log-compaction.ts` removes an entry only once every
 * member has it (`causal-stability.ts`), unless the log is past `capBytes`.
 * No limit set (the default) keeps everything.
 */

/** What a node keeps of its log. Every field is optional; none set keeps everything. */
export interface RetentionPolicy {
  /** Entries older than this (ms, by their `ts`) are past the policy (`--retain`). */
  readonly maxAgeMs?: number;
  /** Past this many entries, the oldest are past the policy (`--retain-events`). */
  readonly maxEvents?: number;
  /** Past this many bytes of entries, the oldest are past the policy (`--retain-bytes`). */
  readonly maxBytes?: number;
  /**
   * The hard cap (`--retain-cap`): past this many bytes of log, the oldest entries are
   * removed even though a member still lacks them (logged loudly and counted).
   */
  readonly capBytes?: number;
}

/** What the policy looks at of the retained log. */
export interface RetainedLog {
  /** Entries in the retained log. */
  readonly events: number;
  /** Their bytes. */
  readonly bytes: number;
  /** Wall-clock now (ms). */
  readonly now: number;
}

/** Whether `policy` asks for any removal at all. */
export function retains(policy: RetentionPolicy | undefined): policy is RetentionPolicy {
  return policy !== undefined && (policy.maxAgeMs !== undefined || policy.maxEvents !== undefined || policy.maxBytes !== undefined || policy.capBytes !== undefined);
}

/**
 * Whether removing the oldest entries up to a group of `events` entries of `bytes` bytes,
 * the newest written at `newestTs`, removes only entries past the policy: once they are
 * gone, the log still holds at least what every limit asks to keep.
 */
export function pastPolicy(policy: RetentionPolicy, log: RetainedLog, group: { events: number; bytes: number; newestTs: number }): boolean {
  if (policy.maxAgeMs !== undefined && group.newestTs < log.now - policy.maxAgeMs) return true;
  if (policy.maxEvents !== undefined && log.events - group.events >= policy.maxEvents) return true;
  if (policy.maxBytes !== undefined && log.bytes - group.bytes >= policy.maxBytes) return true;
  return false;
}

/** Whether the log is past the hard cap, so that its oldest entries go whoever lacks them. */
export function pastCap(policy: RetentionPolicy, log: RetainedLog): boolean {
  return policy.capBytes !== undefined && log.bytes > policy.capBytes;
}
