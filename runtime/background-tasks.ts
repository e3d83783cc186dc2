/**
 * Background tasks: work a component starts and nobody awaits (sending a peer what it
 * lacks from disk, rewinding after a peer's `want`). A failure is logged, never an
 * unhandled rejection. They are counted, so that whoever needs the node quiet (a clean
 * stop, `troupe/testing` stepping a simulated cluster) can wait for all of them.
 */
import type { Logger } from 'pino';

/** The running background tasks of one node's fabric. */
export class BackgroundTasks {
  private readonly log: Logger;
  private readonly running = new Set<Promise<void>>();

  constructor(log: Logger) {
    this.log = log;
  }

  /** How many are running. */
  get size(): number {
    return this.running.size;
  }

  /** Runs `task` without awaiting it; a failure is logged. */
  run(task: Promise<void>): void {
    const tracked: Promise<void> = task
      .catch((err: unknown) => this.log.error({ err }, 'background fabric task failed'))
      .finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  /** Resolves once no task is running, including tasks started meanwhile. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
