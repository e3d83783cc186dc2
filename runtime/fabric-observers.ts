/**
 * Observers of a fabric: metrics, the inspector. They are told after the fact, never
 * asked; one that throws is logged and changes nothing.
 */
import type { Logger } from 'pino';
import type { Envelope } from '../protocol/envelope.js';
import type { IgnoredEvent } from './host-changes.js';
import type { ActorRecord, DeadLetter } from './store.js';

/** One batch as it lands on disk: what observers (metrics, the inspector) are told. */
export interface CommitNotice {
  /** The events it delivered, in delivery order, with their log positions. */
  readonly events: readonly { readonly pos: number; readonly envelope: Envelope }[];
  /** The actors whose snapshots it wrote. */
  readonly actors: readonly ActorRecord[];
  readonly deadLetters: readonly DeadLetter[];
  readonly removedDeadLetters: readonly { readonly service: string; readonly eventId: string }[];
  /** Events its deliveries and replays handed to actors that had already ended. */
  readonly ignored: readonly IgnoredEvent[];
  /** How long the LevelDB write took (0 when the batch held nothing to write). */
  readonly writeMs: number;
}

/** Watches a fabric without taking part: told after the fact, never asked. */
export interface FabricObserver {
  /** A batch is on disk (after its publishes were acknowledged). */
  committed?(notice: CommitNotice): void;
  /** A peer's link came up or went down. */
  linkChanged?(peer: string, connected: boolean): void;
}

/** The observers of one fabric. */
export class FabricObservers {
  private readonly log: Logger;
  private readonly observers = new Set<FabricObserver>();

  constructor(log: Logger) {
    this.log = log;
  }

  /** Whether anyone listens (so that a notice is built only then). */
  get any(): boolean {
    return this.observers.size > 0;
  }

  /** Tells `observer` from now on; returns how to stop. */
  add(observer: FabricObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Tells every observer; one that throws is logged and does not stop the others. */
  tell(call: (observer: FabricObserver) => void): void {
    for (const o of this.observers) {
      try {
        call(o);
      } catch (err) {
        this.log.error({ err }, 'a fabric observer failed');
      }
    }
  }
}
