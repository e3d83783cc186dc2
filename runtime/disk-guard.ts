/**
 * The disk guard: a full disk is a clear refusal, not a crash.
 *
 * Before the commit pump prepares a batch it asks {@link DiskGuard.hasRoom}: the free
 * space of the data directory's file system (`statfs`) must stay above a reserve. Below
 * it, nothing is prepared: publishes are refused with `TROUPE_DISK_FULL` (HTTP 507)
 * before they are stamped, events from peers wait in the intake (their links are paused
 * and not acknowledged), and nothing is written. So no batch is cut in two and nothing of
 * a refused publish exists anywhere.
 *
 * A write can still fail for lack of space (another process filled the disk between the
 * check and the write). The store reports it as `TROUPE_DISK_FULL`; LevelDB wrote none of
 * the batch (a torn log record is dropped when the log is next read). The batch writer
 * then holds that batch, already delivered in memory, and writes it again once
 * {@link DiskGuard.waitForRoom} resolves; publishes arriving meanwhile are refused.
 *
 * Either way the guard looks again with backoff on the injected clock, and once the
 * space is back it says so and the pump goes on by itself: no restart.
 */
import { statfs } from 'node:fs/promises';
import type { Logger } from 'pino';
import { TroupeError } from '../protocol/troupe-error.js';
import { backoffDelay } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';

/** Whether a store failure is the file system's lack of space (LevelDB says `No space left on device`). */
export function isDiskFull(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === 'ENOSPC' || /no space left on device|ENOSPC/i.test(e.message)) return true;
  }
  return false;
}

/** Free bytes of a file system (`statfs` by default; tests give their own). */
export type FreeSpace = (dir: string) => Promise<number>;

/** Options of {@link DiskGuard}. */
export interface DiskGuardOptions {
  /** The data directory; without one (an in-memory test) the guard only reacts to failed writes. */
  readonly dir?: string;
  /** Free bytes to keep: below them nothing more is written. */
  readonly reserveBytes: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Called once space is back after the disk was full. */
  readonly onRoom: () => void;
  readonly freeSpace?: FreeSpace;
}

/** With this many times the reserve free, a measurement is trusted for {@link TRUST_MS}. */
const PLENTY = 8;
/** How long a measurement showing plenty of room is trusted. */
const TRUST_MS = 1000;

async function statfsFree(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** Watches the free space of one node's data directory. */
export class DiskGuard {
  private readonly options: DiskGuardOptions;
  private readonly freeSpace: FreeSpace;
  private fullSince: number | undefined;
  private trustedUntil = 0;
  private retry: TimerHandle | undefined;
  private attempt = 0;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(options: DiskGuardOptions) {
    this.options = options;
    this.freeSpace = options.freeSpace ?? statfsFree;
  }

  /** Whether the disk is known to be full right now. */
  get full(): boolean {
    return this.fullSince !== undefined;
  }

  /** The refusal of a publish while the disk is full. */
  refusal(): TroupeError {
    return new TroupeError('TROUPE_DISK_FULL', `the disk of this node is full (under ${this.options.reserveBytes} bytes free): nothing more is written until space is freed`);
  }

  /** Whether there is room to write a batch; measures unless a recent measurement showed plenty. */
  async hasRoom(): Promise<boolean> {
    if (this.full) return false;
    const { dir, clock } = this.options;
    if (dir === undefined || clock.now() < this.trustedUntil) return true;
    const free = await this.measure(dir);
    if (free === undefined || free >= this.options.reserveBytes) {
      if (free !== undefined && free >= PLENTY * this.options.reserveBytes) this.trustedUntil = clock.now() + TRUST_MS;
      return true;
    }
    this.becameFull(`${free} bytes free, under the ${this.options.reserveBytes}-byte reserve`);
    return false;
  }

  /** A write failed for lack of space: the disk is full until a measurement shows room. */
  writeFailed(err: TroupeError): void {
    if (!this.full) this.becameFull(err.message);
  }

  /** Resolves once the disk has room again (at once if it is not full); rejects if the guard stops first. */
  waitForRoom(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Stops looking (the node stops): a batch waiting for room can no longer be written. */
  stop(): void {
    this.options.clock.clearTimeout(this.retry);
    this.retry = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new TroupeError('TROUPE_DISK_FULL', 'the node stopped while a batch waited for disk space; it was never acknowledged'));
  }

  private becameFull(why: string): void {
    this.fullSince = this.options.clock.now();
    this.trustedUntil = 0;
    this.attempt = 0;
    this.options.log.error({ code: 'TROUPE_DISK_FULL', dir: this.options.dir, why }, 'disk full: publishes are refused (507) and nothing is written until space is freed');
    this.lookAgainLater();
  }

  private lookAgainLater(): void {
    const delay = backoffDelay(this.attempt++, { initialMs: 100, maxMs: 2000 });
    this.retry = this.options.clock.setTimeout(() => void this.lookAgain(), delay);
  }

  private async lookAgain(): Promise<void> {
    this.retry = undefined;
    const { dir, reserveBytes, clock, log } = this.options;
    // Without a directory to measure, the next write is the measurement.
    const free = dir === undefined ? reserveBytes : await this.measure(dir);
    if (free === undefined || free < reserveBytes) return this.lookAgainLater();
    log.info({ dir, free, fullForMs: clock.now() - (this.fullSince ?? clock.now()) }, 'disk has room again: writing resumes');
    this.fullSince = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
    this.options.onRoom();
  }

  /** Free bytes, or `undefined` if the file system cannot tell (then writes decide). */
  private async measure(dir: string): Promise<number | undefined> {
    try {
      return await this.freeSpace(dir);
    } catch (err) {
      this.options.log.debug({ err: (err as Error).message, dir }, 'cannot measure free disk space');
      return undefined;
    }
  }
}
