/**
 * The commit pump: group commit. One loop takes everything ready at once and prepares a
 * batch (delivery, actors, stamping: CPU) while the previous batch is being written
 * (fsync: waiting), and writes batches strictly in order. Work that arrives during a
 * write gathers into the next batch. No batch is prepared while there is no room to write
 * it (`disk-guard.ts`); a write that fails for lack of space is held by the batch writer
 * until there is. Any other failed write is fatal: memory is ahead of disk then, and only
 * the state on disk is safe (crash-only: exit, and a restart resumes).
 */
import type { Logger } from 'pino';

/** The exit code of a node whose commit failed. */
export const COMMIT_FAILED_EXIT_CODE = 70;

/** Runs prepare/write cycles over batches of type `B` while there is work. */
export class CommitPump<B> {
  private readonly hasWork: () => boolean;
  private readonly hasRoom: () => Promise<boolean>;
  private readonly prepare: () => Promise<B>;
  private readonly write: (batch: B) => Promise<void>;
  private readonly drained: () => void;
  private readonly log: Logger;
  private pumping = false;
  /** Wakes a pump that waits on a write, so it prepares the next batch meanwhile. */
  private wake: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(args: {
    hasWork: () => boolean;
    /** Whether there is room to write another batch (the disk is not full); without room nothing is prepared. */
    hasRoom?: () => Promise<boolean>;
    prepare: () => Promise<B>;
    write: (batch: B) => Promise<void>;
    /** Called each time every prepared batch is written and no work is left. */
    drained: () => void;
    log: Logger;
  }) {
    this.hasWork = args.hasWork;
    this.hasRoom = args.hasRoom ?? (() => Promise.resolve(true));
    this.prepare = args.prepare;
    this.write = args.write;
    this.drained = args.drained;
    this.log = args.log;
  }

  /** Whether a batch is being prepared or written, or the loop is about to start. */
  get busy(): boolean {
    return this.pumping;
  }

  /** Resolves once the pump has stopped for lack of work. */
  get idle(): Promise<void> {
    return this.running;
  }

  /** There may be new work: starts the loop on the next turn, or wakes it. */
  kick(): void {
    if (this.pumping) {
      this.wake?.();
      return;
    }
    this.pumping = true;
    this.running = new Promise((resolve) => setImmediate(() => this.pump().then(resolve)));
  }

  private async pump(): Promise<void> {
    let writing: Promise<void> | undefined;
    let written = false;
    try {
      for (;;) {
        if (this.hasWork() && (await this.hasRoom())) {
          const batch = await this.prepare();
          await writing;
          written = false;
          writing = this.write(batch).then(() => {
            written = true;
          });
        } else if (writing !== undefined && !written) {
          // Whichever comes first: the write finishing, or new work to prepare meanwhile.
          await Promise.race([writing, new Promise<void>((resolve) => (this.wake = resolve))]);
          this.wake = undefined;
        } else if (writing !== undefined) {
          writing = undefined;
          this.drained();
        } else {
          break;
        }
      }
    } catch (err) {
      this.log.fatal({ err }, 'commit failed; exiting so that a restart resumes from the store');
      process.exit(COMMIT_FAILED_EXIT_CODE);
    } finally {
      this.pumping = false;
    }
  }
}
