/**
 * The inspector's wire: what a node's `/feed` WebSocket and its `/app` and `/workflow`
 * routes answer, as plain JSON types. The node (`runtime/inspector-*.ts`) writes them and
 * the page (`inspector/*.ts`) reads them; this file holds types only, so both sides
 * compile against one definition.
 *
 * `/feed` sends JSON text frames, one {@link FeedMessage} each: first a `hello` with the
 * node's whole state, then deltas as they happen. The page may send {@link FeedRequest}s
 * and gets a {@link FeedReply} for each.
 */

/** A vector clock: node id → events of that node delivered. */
export type Clock = Record<string, number>;

/** One peer as a node sees it (`GET /status`'s `peers[]`). */
export interface PeerStatus {
  readonly id: string;
  readonly connected: boolean;
  /** Events this node holds that the peer has not acknowledged. */
  readonly outbox: number;
  /** The peer's admin API URL, as its handshake told it. */
  readonly admin?: string;
  /** When the link last came up or went down (ms since the epoch; 0: not since start). */
  readonly since: number;
  /** This node cut the link on purpose (`POST /links/:peer/cut`); it stays down until healed. */
  readonly cut?: boolean;
  /** The event types the peer wants, as its handshake told them; absent: everything. */
  readonly interest?: readonly string[];
  /** While the outbox drains to a linked peer: its acknowledgement rate (events/s) and the time to go at that pace (ms). */
  readonly catchUp?: { readonly rate: number; readonly etaMs: number };
  /** It asked for events this node's log no longer retains (`TROUPE_PEER_BEHIND_RETENTION`); absent: it did not. */
  readonly behindRetention?: boolean;
}

/**
 * Two live processes with one node id: `refusedBy` refused a second process of `node`
 * (it was linked to another one already), last at `at` (ms since the epoch).
 */
export interface DuplicateIdView {
  readonly node: string;
  readonly refusedBy: string;
  readonly at: number;
}

/** `GET /status`. */
export interface NodeStatus {
  readonly id: string;
  /** The origin the node stamps under since it last started (`n1~V1StGX`); its clock entry for it counts what it published since. */
  readonly origin?: string;
  readonly vc: Clock;
  readonly peers: readonly PeerStatus[];
  /** Services hosted on this node. */
  readonly services: readonly string[];
  /**
   * `size`: the last position logged; `first`: the first one retained (1 until retention
   * removed older ones, absent from nodes that predate it); `buffered`: causal-buffer events.
   */
  readonly log: { readonly size: number; readonly first?: number; readonly buffered: number };
  /** Its actors wait for events of its earlier starts that peers hold (a lost disk), or for their rebuild. */
  readonly recovering: boolean;
  /** Whether this node takes cut/heal requests (started with `--chaos`, as `troupe cluster` does). */
  readonly chaos?: boolean;
  /** Node-id conflicts this node refused, or was refused for (when its own id is `node`); absent when none. */
  readonly duplicates?: readonly DuplicateIdView[];
  /**
   * A partial node's interest (`--want`), and how many events its clock counts without
   * holding them (`skipped`) and it is fetching back after its interest widened
   * (`refilling`); absent on a node that wants everything and skipped nothing (a node
   * that counted lost events, `lost`, counts them here as skipped too).
   */
  readonly interest?: { readonly want: readonly string[]; readonly skipped: number; readonly refilling: number };
  /**
   * Events it lacked that peers no longer hold (removed by their retention): `events`
   * counted as lost since it started (its clock counts them, its log and actors never saw
   * them), `pending` still waited for from a peer that may hold them, `asking` those of
   * the counted ones a known peer did not confirm lost, still asked for, `fromPeer` and
   * `at` the notice the last count followed; absent when none.
   */
  readonly lost?: { readonly events: number; readonly pending: number; readonly asking?: number; readonly fromPeer?: string; readonly at?: number };
  /**
   * Retirements this node delivered (`protocol/retirement.ts`): node ids retired for good
   * (`troupe forget`), and origins (ended incarnations, forgotten nodes') with their final
   * seq, left out of the clocks it stamps; absent when none. `folded`: how many of those
   * origins `vc` leaves out (each is read as its final seq here).
   */
  readonly retired?: {
    readonly nodes: readonly string[];
    readonly origins: readonly { readonly origin: string; readonly final: number }[];
    readonly folded?: number;
  };
}

/** A transition an event caused in one actor on the node that delivered it. */
export interface Transition {
  readonly service: string;
  /** The entity key; `null` for a singleton. */
  readonly key: string | null;
  /** State value before and after (XState's `snapshot.value`). */
  readonly from: unknown;
  readonly to: unknown;
}

/** A committed event as the feed and `/workflow` show it. */
export interface FeedEvent {
  /** Position in the log of the node that sends it. */
  readonly pos: number;
  readonly id: string;
  readonly type: string;
  readonly origin: string;
  readonly seq: number;
  readonly vc: Clock;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly ts: number;
  readonly data: unknown;
  /** Why a stored event cannot be shown beyond its header (an older build stored bytes the grammar refuses); absent for a valid event. */
  readonly unshowable?: string;
  /** What it made this node's actors do (empty when none handled it, or when forgotten since a restart). */
  readonly transitions: readonly Transition[];
}

/** An actor as the inspector shows it. */
export interface ActorDetail {
  readonly service: string;
  readonly key: string | null;
  readonly state: unknown;
  readonly status: string;
  readonly context: unknown;
  /** Pending `after` timers: the delayed event and when it is due (ms since the epoch). */
  readonly timers: readonly { readonly event: string; readonly due: number }[];
  /** Event types its current state has a transition for (what would move it). */
  readonly accepts: readonly string[];
}

/** An event that arrived here but waits in the causal buffer. */
export interface HeldBackEvent {
  readonly id: string;
  readonly type: string;
  readonly origin: string;
  readonly seq: number;
  readonly correlationId: string;
  /** Ids (`origin:seq`) of the events it waits for that this node has not delivered: the newest missing of each origin. */
  readonly waitingFor: readonly string[];
}

/** A dead letter (`GET /dlq`). */
export interface DeadLetterView {
  readonly service: string;
  readonly key: string;
  readonly eventId: string;
  readonly pos: number;
  readonly error: { readonly code: string; readonly message: string };
  readonly at: number;
}

/** Server → page over `/feed`. */
export type FeedMessage =
  | {
      readonly kind: 'hello';
      readonly status: NodeStatus;
      readonly actors: readonly ActorDetail[];
      /** The newest events of the log, oldest first (at most 1,000). */
      readonly events: readonly FeedEvent[];
      readonly heldBack: readonly HeldBackEvent[];
      readonly deadLetters: readonly DeadLetterView[];
    }
  /** Newly committed events, in delivery order. */
  | { readonly kind: 'events'; readonly events: readonly FeedEvent[] }
  /** Actors whose state changed (whole details; an actor not listed is unchanged). */
  | { readonly kind: 'actors'; readonly actors: readonly ActorDetail[] }
  /** The status, when any of it changed (at most a few times a second). */
  | { readonly kind: 'status'; readonly status: NodeStatus }
  | { readonly kind: 'heldBack'; readonly heldBack: readonly HeldBackEvent[] }
  | { readonly kind: 'deadLetters'; readonly deadLetters: readonly DeadLetterView[] }
  | FeedReply;

/** Page → server over `/feed`: `ref` comes back in the reply. */
export type FeedRequest =
  | { readonly op: 'cut' | 'heal'; readonly ref: number; readonly peer: string }
  | { readonly op: 'replay'; readonly ref: number; readonly service: string; readonly eventId: string };

/** The answer to one {@link FeedRequest}. */
export type FeedReply =
  | { readonly kind: 'reply'; readonly ref: number; readonly ok: true }
  | { readonly kind: 'reply'; readonly ref: number; readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** A state of a laid-out statechart. Coordinates are absolute, in px. */
export interface ChartState {
  /** XState's state node id. */
  readonly id: string;
  /** Its path from the root (`['payment', 'capturing']`); the root's is `[]`. */
  readonly path: readonly string[];
  readonly label: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly initial: boolean;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A laid-out transition: a polyline from source to target. */
export interface ChartTransition {
  readonly source: string;
  readonly target: string;
  /** The event type, or `after 5s`, or `always`. */
  readonly label: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  readonly labelX: number;
  readonly labelY: number;
}

/** A machine's statechart, drawn from its own definition and laid out by elkjs. */
export interface Chart {
  readonly width: number;
  readonly height: number;
  readonly states: readonly ChartState[];
  readonly transitions: readonly ChartTransition[];
}

/** One service of the app. */
export interface ServiceInfo {
  readonly name: string;
  /** Event types it consumes. */
  readonly on: readonly string[];
  readonly keyed: boolean;
  /** Nodes the app places it on. */
  readonly nodes: readonly string[];
  /** Event types its machine emits (read from its `emit` actions), and types the log showed it emit. */
  readonly emits: readonly string[];
  readonly chart: Chart;
}

/** One event type on the choreography map. */
export interface EventTypeInfo {
  readonly type: string;
  readonly emittedBy: readonly string[];
  readonly consumedBy: readonly string[];
  /** `no-consumer`: emitted, consumed by no service; `no-emitter`: consumed, emitted by no service (it may come from outside). */
  readonly flags: readonly ('no-consumer' | 'no-emitter')[];
}

/** `GET /app`: the app as every node loaded it, with the choreography map. */
export interface AppInfo {
  readonly name: string;
  readonly services: readonly ServiceInfo[];
  readonly eventTypes: readonly EventTypeInfo[];
}

/** Something of a workflow that has not happened yet everywhere, and why, in words. */
export interface PendingItem {
  readonly kind: 'outbox' | 'held-back' | 'dead-letter' | 'unreachable';
  /** E.g. "PaymentCaptured (n2:57) waits in n2's outbox for n3; link n2–n3 cut since 12:03:05". */
  readonly text: string;
  /** The node where it waits. */
  readonly node: string;
  readonly eventId?: string;
  readonly peer?: string;
  readonly service?: string;
}

/** `GET /workflow/:correlationId`: one workflow across every node the answering node reached. */
export interface WorkflowView {
  readonly correlationId: string;
  /** Every event of the workflow, in a causal order, each with the nodes that hold it. */
  readonly events: readonly (FeedEvent & { readonly heldBy: readonly string[] })[];
  readonly pending: readonly PendingItem[];
  /** The nodes asked, and whether they answered. */
  readonly nodes: readonly { readonly id: string; readonly admin: string; readonly reachable: boolean }[];
}
