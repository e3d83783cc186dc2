/**
 * Log compaction: removing the oldest log entries once the retention policy lets them go
 * (`retention-policy.ts`) and every member has them (`causal-stability.ts`).
 *
 * The log is cut only at a commit's start, as a prefix: what remains is positions
 * `first … end-1`, and the `clk/` entry of `first` stays, the clock a peer must have to
 * lack nothing removed (`firstPositionLacking` then never answers below `first` for a
 * peer that has it). A pass takes the oldest whole commits, a few thousand events at a
 * time, and removes with one LevelDB batch each those it may (their events, `clk/` and
 * `corr/` entries), so the commit pump, which writes above them, never waits long. Passes
 * run in the background, one every `intervalMs` through the injected `Clock`. Every few
 * thousand removed events a pass has LevelDB compact the removed key range, which is what
 * frees their space on disk.
 *
 * Past the hard cap (`capBytes`) the oldest commits go even if a member lacks them: that
 * is logged at error level with `TROUPE_LOG_COMPACTED` and counted (`forced`). Dead
 * letters stay: a letter's record outlives its event, and replaying one whose event is
 * gone answers `TROUPE_NOT_FOUND` ("no longer in the log"), as before.
 */
import type { Logger } from 'pino';
import type { VectorClock } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { isStable, stableClock, type Member } from './causal-stability.js';
import type { Clock, TimerHandle } from './clock.js';
import { pastCap, pastPolicy, type RetainedLog, type RetentionPolicy } from './retention-policy.js';
import type { LoggedCommit, Store } from './store.js';

/** Which leading commits one pass removes. */
export interface Removal {
  /** How many of the leading commits go. */
  readonly commits: number;
  readonly events: number;
  readonly bytes: number;
  /** Of `events`, those some member lacked (removed past the hard cap). */
  readonly forced: number;
}

/**
 * The leading `commits` (oldest first) that may be removed: each is past the policy and
 * stable, or the log is past the hard cap. Stops at the first that may not.
 */
export function selectRemoval(commits: readonly LoggedCommit[], policy: RetentionPolicy, log: RetainedLog, stable: VectorClock | null): Removal {
  let n = 0;
  let events = 0;
  let bytes = 0;
  let forced = 0;
  for (const commit of commits) {
    const left: RetainedLog = { events: log.events - events, bytes: log.bytes - bytes, now: log.now };
    let size = 0;
    let newestTs = 0;
    let lacking = 0;
    for (const e of commit.entries) {
      size += e.bytes;
      newestTs = Math.max(newestTs, e.ts);
      if (!isStable(stable, e.origin, e.seq)) lacking++;
    }
    const group = { events: commit.entries.length, bytes: size, newestTs };
    if (!(lacking === 0 && pastPolicy(policy, left, group)) && !pastCap(policy, left)) break;
    n++;
    events += group.events;
    bytes += size;
    forced += lacking;
  }
  return { commits: n, events, bytes, forced };
}

/** The error of a read below the retained log. */
export class LogCompactedError extends TroupeError {
  /** The first position the log retains. */
  readonly first: number;

  constructor(first: number, what: string) {
    super('TROUPE_LOG_COMPACTED', `${what} was removed by retention: the log starts at position ${first}`);
    this.first = first;
  }
}

/** Events read per removal batch. */
const BATCH_EVENTS = 2048;
/** Batches per pass at most, so that one pass ends and the next looks again at acks. */
const BATCHES_PER_PASS = 64;

/**
 * Removed events after which a pass has LevelDB free their space (`Store.reclaim`): its
 * own compaction seldom returns to the files of a log's oldest entries, so a log trimmed
 * only by deletes would keep growing on disk.
 */
const RECLAIM_EVENTS = 8192;

/** One node's background compaction. */
export class LogCompaction {
  private readonly store: Store;
  private readonly policy: RetentionPolicy;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly members: () => Iterable<Member>;
  private readonly end: () => number;
  private readonly intervalMs: number;
  private readonly held: () => boolean;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Events removed since their space was last freed. */
  private unreclaimed = 0;
  /** Where the last freeing ended; below it, nothing is left to free. */
  private reclaimedTo: number | undefined;
  /** Events removed since this node started. */
  removed = 0;
  /** Of them, events some member lacked (past the hard cap). */
  forced = 0;

  constructor(args: {
    store: Store;
    policy: RetentionPolicy;
    clock: Clock;
    log: Logger;
    /** The members this node knows of, with what each acknowledged durably. */
    members: () => Iterable<Member>;
    /** The first position not committed yet. */
    end: () => number;
    /** Time between passes. [default 1000] */
    intervalMs?: number;
    /**
     * Whether writes are held (the disk guard found the disk full): no pass runs then, since
     * a batch cut short by a full disk needs the store reopened (`store-db.ts`), which only
     * the commit path does. [default never]
     */
    held?: () => boolean;
  }) {
    this.held = args.held ?? (() => false);
    this.store = args.store;
    this.policy = args.policy;
    this.clock = args.clock;
    this.log = args.log;
    this.members = args.members;
    this.end = args.end;
    this.intervalMs = args.intervalMs ?? 1000;
  }

  /** Starts passing every `intervalMs`. */
  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => this.due(), this.intervalMs);
  }

  /** Stops passing; resolves once a pass under way is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass now (the timer's, or a test's): removes what it may, a batch at a time. */
  pass(): Promise<void> {
    this.running ??= this.compact().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves once no pass is under way. */
  async idle(): Promise<void> {
    await this.running;
  }

  private due(): void {
    this.timer = undefined;
    this.pass()
      .catch((err: unknown) => this.log.error({ err }, 'log compaction failed; trying again on the next pass'))
      .finally(() => this.start());
  }

  private async compact(): Promise<void> {
    const from = this.store.logStart;
    await this.removeBatches();
    const to = this.store.logStart;
    this.unreclaimed += to - from;
    if (this.unreclaimed >= RECLAIM_EVENTS && !this.stopped) {
      await this.store.reclaim(this.reclaimedTo ?? from, to);
      this.unreclaimed = 0;
      this.reclaimedTo = to;
    }
  }

  private async removeBatches(): Promise<void> {
    for (let batch = 0; batch < BATCHES_PER_PASS && !this.stopped && !this.held(); batch++) {
      const end = this.end();
      // The newest commit stays: its `clk/` entry is what tells a peer it lacks nothing removed.
      const commits = (await this.store.readCommits(BATCH_EVENTS, end)).filter((c) => c.start + c.entries.length < end);
      if (commits.length === 0) return;
      const stable = stableClock(this.members());
      const log = { events: end - this.store.logStart, bytes: this.store.logBytes, now: this.clock.now() };
      const removal = selectRemoval(commits, this.policy, log, stable);
      if (removal.commits === 0) return;
      const gone = commits.slice(0, removal.commits);
      const last = gone[gone.length - 1];
      const first = last.start + last.entries.length;
      await this.store.removeCommits(gone, first);
      this.removed += removal.events;
      this.forced += removal.forced;
      if (removal.forced > 0) {
        this.log.error(
          { code: 'TROUPE_LOG_COMPACTED', events: removal.forced, first, capBytes: this.policy.capBytes },
          'the log passed its hard cap (--retain-cap): removed events a member has not acknowledged; it must get them from another node',
        );
      } else {
        this.log.debug({ events: removal.events, first }, 'log compacted');
      }
    }
  }
}
