/**
 * What each delivered event made this node's actors do, for the last so many events: the
 * inspector shows it beside each event (`/feed`, `/trace`). A ring indexed by log position,
 * so recording is one slot write and nothing is allocated for events no actor handled;
 * older events are forgotten (as are all after a restart) and read as no transitions.
 */
import type { Transition } from '../inspector/feed.js';

/** How many delivered events' transitions are remembered. [default 20,000] */
export const TRANSITION_RING_SIZE = 20_000;

const NONE: readonly Transition[] = Object.freeze([]);

/** Transitions by log position, for the newest {@link TRANSITION_RING_SIZE} positions. */
export class TransitionRing {
  private readonly positions: number[];
  private readonly transitions: (readonly Transition[])[];

  constructor(readonly size = TRANSITION_RING_SIZE) {
    this.positions = new Array<number>(size).fill(0);
    this.transitions = new Array<readonly Transition[]>(size).fill(NONE);
  }

  /** Records what the event at `pos` did; an empty list records nothing. */
  record(pos: number, transitions: readonly Transition[]): void {
    if (transitions.length === 0) return;
    const slot = pos % this.size;
    this.positions[slot] = pos;
    this.transitions[slot] = transitions;
  }

  /** What the event at `pos` did, or an empty list when nothing or when it is forgotten. */
  at(pos: number): readonly Transition[] {
    const slot = pos % this.size;
    return this.positions[slot] === pos ? this.transitions[slot] : NONE;
  }
}
