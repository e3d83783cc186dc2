/**
 * One workflow as the whole cluster knows it, told from what every node reached answered
 * to `GET /trace/:correlationId`: each event once, in a causal order, with the nodes that
 * hold it; then what has not happened everywhere yet, and why, in words a person reads
 * during a partition ("PaymentCaptured (n2:57) waits in n2's outbox for n3; link n2–n3
 * cut since 12:03:05").
 *
 * The order is a topological sort of happened-before, which the events' vector clocks
 * give exactly: e precedes f when f's clock counts e (`f.vc[e.origin] >= e.seq`). Among
 * events free to go next (at most one per origin, since an origin's events are a chain),
 * the earliest `ts` goes first, so concurrent branches read in time order.
 *
 * Pure: the fetching is `cluster-reader.ts`'s, and times are formatted by a function the
 * caller may replace.
 */
import type { DeadLetterView, FeedEvent, HeldBackEvent, NodeStatus, PendingItem, Transition, WorkflowView } from '../inspector/feed.js';

/** An event of a node's trace; `transitions` once the node reports them. */
export type TracedEvent = Omit<FeedEvent, 'transitions'> & { readonly transitions?: readonly Transition[] };

/** One peer's outbox as a trace shows it: the workflow's events that peer has not acknowledged. */
export interface OutboxView {
  readonly peer: string;
  readonly connected: boolean;
  /** When the link last came up or went down (ms since the epoch; 0: not since the node started). */
  readonly since: number;
  readonly pending: readonly string[];
}

/** What one node's `GET /trace/:correlationId` answers, as far as the story reads it. */
export interface TraceAnswer {
  readonly correlationId: string;
  readonly events: readonly TracedEvent[];
  readonly buffered: readonly HeldBackEvent[];
  readonly outboxes: readonly OutboxView[];
  readonly deadLetters: readonly DeadLetterView[];
}

/** What was learned from one node of the cluster. */
export interface NodeAnswer {
  readonly id: string;
  /** Its admin API URL ('' when no peer told it). */
  readonly admin: string;
  /** Its `GET /status`, if it answered; its `peers[].cut` tells which links it holds cut. */
  readonly status?: NodeStatus;
  /** Its trace of the workflow; absent when it did not answer. */
  readonly trace?: TraceAnswer;
  /** Why it did not answer. */
  readonly error?: string;
}

/** A workflow's event with the nodes that hold it. */
export type StoryEvent = WorkflowView['events'][number];

/** A time of day as `HH:MM:SS` in the local time zone. */
export function clockTime(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/**
 * Merges the nodes' traces of one workflow into a {@link WorkflowView}. `answers` come
 * first the node asked, then the others: an event's `pos` is from the first that holds it.
 */
export function workflowStory(
  correlationId: string,
  answers: readonly NodeAnswer[],
  time: (ms: number) => string = clockTime,
): WorkflowView {
  const events = causalOrder(mergeEvents(answers));
  const byId = new Map(events.map((e) => [e.id, e]));
  const name = (id: string): string => {
    const event = byId.get(id);
    return event === undefined ? id : `${event.type} (${id})`;
  };
  const rank = new Map(events.map((e, i) => [e.id, i]));
  const pending = outboxItems(answers, byId, name, time).sort(
    (a, b) => (rank.get(a.eventId!) ?? Infinity) - (rank.get(b.eventId!) ?? Infinity),
  );
  for (const answer of answers) {
    for (const held of answer.trace?.buffered ?? []) {
      const waiting = held.waitingFor.length === 0 ? 'about to be delivered' : `waiting for ${held.waitingFor.join(', ')}`;
      pending.push({
        kind: 'held-back',
        node: answer.id,
        eventId: held.id,
        text: `${answer.id} holds ${held.type} (${held.id}) in its causal buffer, ${waiting}`,
      });
    }
  }
  for (const answer of answers) {
    for (const letter of answer.trace?.deadLetters ?? []) {
      pending.push({
        kind: 'dead-letter',
        node: answer.id,
        eventId: letter.eventId,
        service: letter.service,
        text: `dead letter at ${letter.service} on ${answer.id}: ${letter.error.message} (${name(letter.eventId)})`,
      });
    }
  }
  for (const answer of answers) {
    if (answer.trace !== undefined) continue;
    const why = answer.error ?? (answer.admin === '' ? 'its admin URL is unknown' : 'no answer');
    pending.push({ kind: 'unreachable', node: answer.id, text: `${answer.id} did not answer: ${why}` });
  }
  return {
    correlationId,
    events,
    pending,
    nodes: answers.map((a) => ({ id: a.id, admin: a.admin, reachable: a.trace !== undefined })),
  };
}

/** Every event of the traces once, with the nodes that hold it and the transitions each reported. */
function mergeEvents(answers: readonly NodeAnswer[]): StoryEvent[] {
  const merged = new Map<string, { event: TracedEvent; heldBy: string[]; transitions: Transition[] }>();
  for (const answer of answers) {
    for (const event of answer.trace?.events ?? []) {
      let entry = merged.get(event.id);
      if (entry === undefined) {
        entry = { event, heldBy: [], transitions: [] };
        merged.set(event.id, entry);
      }
      if (!entry.heldBy.includes(answer.id)) entry.heldBy.push(answer.id);
      entry.transitions.push(...(event.transitions ?? []));
    }
  }
  return [...merged.values()].map(({ event, heldBy, transitions }) => ({ ...event, transitions, heldBy: heldBy.sort() }));
}

/**
 * The events in an order consistent with happened-before (Kahn's algorithm over the
 * clocks). An event whose predecessors can never all come first (clocks that contradict
 * each other) goes when nothing else can, rather than being lost.
 */
export function causalOrder<E extends Pick<FeedEvent, 'origin' | 'seq' | 'vc' | 'ts'>>(events: readonly E[]): E[] {
  const chains = new Map<string, E[]>();
  for (const e of events) {
    const chain = chains.get(e.origin);
    if (chain === undefined) chains.set(e.origin, [e]);
    else chain.push(e);
  }
  for (const chain of chains.values()) chain.sort((a, b) => a.seq - b.seq);
  // How many of each origin's events are placed: always a prefix of its chain.
  const placed = new Map([...chains.keys()].map((origin) => [origin, 0]));
  const ready = (e: E): boolean => {
    for (const [origin, chain] of chains) {
      const needed = origin === e.origin ? e.seq - 1 : (e.vc[origin] ?? 0);
      if (countUpTo(chain, needed) > placed.get(origin)!) return false;
    }
    return true;
  };
  const order: E[] = [];
  while (order.length < events.length) {
    const next = [...chains.entries()].filter(([origin, chain]) => placed.get(origin)! < chain.length).map(([origin, chain]) => chain[placed.get(origin)!]);
    const free = next.filter(ready);
    const pick = (free.length > 0 ? free : next).reduce((best, e) => (earlier(e, best) ? e : best));
    order.push(pick);
    placed.set(pick.origin, placed.get(pick.origin)! + 1);
  }
  return order;
}

/** How many of a chain sorted by seq have `seq <= max`. */
function countUpTo(chain: readonly { readonly seq: number }[], max: number): number {
  let lo = 0;
  let hi = chain.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (chain[mid].seq <= max) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function earlier(a: Pick<FeedEvent, 'origin' | 'seq' | 'ts'>, b: Pick<FeedEvent, 'origin' | 'seq' | 'ts'>): boolean {
  if (a.ts !== b.ts) return a.ts < b.ts;
  if (a.origin !== b.origin) return a.origin < b.origin;
  return a.seq < b.seq;
}

/**
 * The workflow's events that wait in some node's outbox for a peer, with the state of
 * that link. An event the peer is known to hold already (it came another way, through a
 * relay) does not wait for it.
 */
function outboxItems(
  answers: readonly NodeAnswer[],
  events: ReadonlyMap<string, StoryEvent>,
  name: (id: string) => string,
  time: (ms: number) => string,
): PendingItem[] {
  const answered = new Set(answers.filter((a) => a.trace !== undefined).map((a) => a.id));
  const statusOf = new Map(answers.map((a) => [a.id, a.status]));
  const items: PendingItem[] = [];
  for (const answer of answers) {
    for (const outbox of answer.trace?.outboxes ?? []) {
      const cut = holdsCut(statusOf.get(answer.id), outbox.peer) || holdsCut(statusOf.get(outbox.peer), answer.id);
      const link = `link ${answer.id}–${outbox.peer}`;
      const since = outbox.since > 0 ? ` since ${time(outbox.since)}` : '';
      const state = outbox.connected ? `${link} up, not acknowledged yet` : `${link} ${cut ? 'cut' : 'down'}${since}`;
      for (const id of outbox.pending) {
        if (answered.has(outbox.peer) && events.get(id)?.heldBy.includes(outbox.peer) === true) continue;
        items.push({
          kind: 'outbox',
          node: answer.id,
          eventId: id,
          peer: outbox.peer,
          text: `${name(id)} waits in ${answer.id}'s outbox for ${outbox.peer}; ${state}`,
        });
      }
    }
  }
  return items;
}

/** Whether `status` says its node holds the link to `peer` cut. */
function holdsCut(status: NodeStatus | undefined, peer: string): boolean {
  return status?.peers.some((p) => p.id === peer && p.cut === true) === true;
}
