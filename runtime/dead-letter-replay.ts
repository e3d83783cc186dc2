/**
 * Dead-letter replay: re-delivering an event that a service failed on, to that service
 * alone, once an operator asks; for a failed timer, its delayed event (kept in the letter:
 * it is in no log) to the actor that set it; for an actor whose record could not be
 * restored, a check that it is restored now. One replay at a time per dead letter; the
 * replay runs inside a batch, so what the service emits is stamped and committed with the
 * removal of the dead letter, or, if it fails again, nothing changes.
 *
 * The letter is looked up again inside the batch: a caller reads it before asking, and a
 * replay of the same letter may commit between that read and its own turn. Only one
 * replay of a letter is ever queued or being written (`once`), so by the time the next
 * one is prepared the previous one is on disk and the store tells whether the letter is
 * still there.
 */
import { decodeEvent } from '../protocol/event-codec.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { Emission, Host } from './host.js';
import type { DeadLetter, Store } from './store.js';

/** Replays dead letters through the host. */
export class DeadLetterReplay {
  private readonly store: Store;
  private readonly host: Host;
  /** `service/eventId` of the replays under way. */
  private readonly underWay = new Set<string>();

  constructor(args: { store: Store; host: Host }) {
    this.store = args.store;
    this.host = args.host;
  }

  /**
   * Runs `replay` for `letter` unless a replay of it is already under way.
   *
   * @throws TroupeError `TROUPE_BAD_REQUEST` (as a rejection) if one is.
   */
  once(letter: DeadLetter, replay: () => Promise<void>): Promise<void> {
    const key = `${letter.service}/${letter.eventId}`;
    if (this.underWay.has(key)) {
      return Promise.reject(new TroupeError('TROUPE_BAD_REQUEST', `${letter.eventId} is already being replayed to ${letter.service}`));
    }
    this.underWay.add(key);
    return replay().finally(() => this.underWay.delete(key));
  }

  /**
   * Re-delivers `letter`'s event to its service (a failed timer's delayed event to its
   * actor): what it emitted, or the error it failed
   * with (`TROUPE_NOT_FOUND` if the letter was replayed already or the event left the
   * log, `TROUPE_SERVICE_FAILED` if the service failed again).
   */
  async redeliver(letter: DeadLetter): Promise<readonly Emission[] | Error> {
    if ((await this.store.deadLetter(letter.service, letter.eventId)) === undefined) {
      return new TroupeError('TROUPE_NOT_FOUND', `no dead letter for ${letter.eventId} in ${letter.service}: it was replayed already`);
    }
    let result: readonly Emission[] | Error;
    if (letter.timer !== undefined) {
      result = this.host.replayTimer(letter.service, letter.key, letter.timer.event);
    } else if (letter.snapshot !== undefined) {
      result = this.host.replaySnapshot(letter.service, letter.key);
    } else {
      const bytes = await this.store.eventAt(letter.pos);
      if (bytes === undefined) return new TroupeError('TROUPE_NOT_FOUND', `event ${letter.eventId} is no longer in the log`);
      result = this.host.replay(letter.service, decodeEvent(bytes));
    }
    if (result instanceof Error && !(result instanceof TroupeError)) {
      return new TroupeError('TROUPE_SERVICE_FAILED', `${letter.service} failed again on ${letter.eventId}: ${result.message}`, { cause: result });
    }
    return result;
  }
}
