/**
 * The work waiting for the next batch: publishes, actor timers (scheduled tasks) and dead
 * letter replays, each with the promise its caller waits on, and whether events from
 * peers arrived in the intake. The fabric fills these; batch preparation empties them.
 */
import type { Envelope } from '../protocol/envelope.js';
import type { Emission } from './host.js';
import type { PublishInput } from './publish-input.js';
import type { DeadLetter } from './store.js';

/** A publish waiting to be stamped, and its caller's promise. */
export interface PendingPublish {
  readonly input: PublishInput;
  readonly resolve: (e: Envelope) => void;
  readonly reject: (err: Error) => void;
}

/** A dead letter waiting to be re-delivered, and its caller's promise. */
export interface PendingReplay {
  readonly letter: DeadLetter;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** A task run inside a batch; what it emits is stamped and committed with it. */
export type Task = () => Emission[];

/** The queues of one fabric. */
export class WorkQueues {
  private publishes: PendingPublish[] = [];
  private tasks: Task[] = [];
  private replays: PendingReplay[] = [];
  /** Events from peers were added to the intake since a batch last drained it. */
  arrived = false;

  /** Queues a publish; resolves with its envelope once committed. */
  publish(input: PublishInput): Promise<Envelope> {
    return new Promise((resolve, reject) => {
      this.publishes.push({ input, resolve, reject });
    });
  }

  /** Queues a task. */
  schedule(task: Task): void {
    this.tasks.push(task);
  }

  /** Queues a replay; resolves once committed. */
  replay(letter: DeadLetter): Promise<void> {
    return new Promise((resolve, reject) => {
      this.replays.push({ letter, resolve, reject });
    });
  }

  /** Whether a batch has anything to do; `held`: tasks and replays must wait (no stamping yet). */
  hasWork(held: boolean): boolean {
    return this.publishes.length > 0 || this.arrived || (!held && (this.tasks.length > 0 || this.replays.length > 0));
  }

  /** Takes every queued publish. */
  takePublishes(): PendingPublish[] {
    const taken = this.publishes;
    this.publishes = [];
    return taken;
  }

  /** Takes every queued task. */
  takeTasks(): Task[] {
    const taken = this.tasks;
    this.tasks = [];
    return taken;
  }

  /** Takes every queued replay. */
  takeReplays(): PendingReplay[] {
    const taken = this.replays;
    this.replays = [];
    return taken;
  }
}
