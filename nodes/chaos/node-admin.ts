/**
 * What `troupe chaos` asks of a node's admin API (README, "Admin HTTP API"): publish, and
 * read `/status`, the whole `/log` and `/actors`. A publish answers with what the harness
 * may conclude: `ok` with the node's ack, `failed` when the node said no (nothing was
 * committed), `unknown` when no answer came (it may or may not have been).
 */

import { statusClock, type ClockOfStatus } from '../../inspector/status-clock.js';

/** A vector clock as the API reports it: origin → count (a missing entry is 0). */
export type Clock = Readonly<Record<string, number>>;

/** The `201` of `POST /events`. */
export interface Ack {
  readonly id: string;
  readonly origin: string;
  readonly seq: number;
  readonly vc: Clock;
}

/** How a publish ended. */
export type PublishOutcome =
  | { readonly outcome: 'ok'; readonly ack: Ack }
  | { readonly outcome: 'failed'; readonly error: string }
  | { readonly outcome: 'unknown'; readonly error: string };

/** The part of `GET /status` the checks read. */
export interface StatusView {
  readonly id: string;
  /** Read whole: the retired origins `/status` leaves out are put back at their final seq (`statusClock`). */
  readonly vc: Clock;
  readonly peers: readonly { readonly id: string; readonly connected: boolean; readonly outbox: number }[];
  readonly log: { readonly size: number; readonly buffered?: number };
  readonly duplicates?: readonly { readonly node: string; readonly refusedBy: string }[];
  /** Its actors wait for history its disk lost, or for their rebuild. */
  readonly recovering?: boolean;
}

/** One event of `GET /log`. */
export interface LogEvent {
  readonly pos: number;
  readonly id: string;
  readonly type: string;
  readonly origin: string;
  readonly seq: number;
  readonly vc: Clock;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly data: unknown;
}

/** One actor of `GET /actors`. */
export interface ActorView {
  readonly service: string;
  readonly key: string | null | undefined;
  readonly state: unknown;
  readonly status: string;
}

const LOG_PAGE = 1000;
const ACTOR_PAGE = 1000;

/** The admin API of one node, at `http://127.0.0.1:PORT`. */
export class NodeAdmin {
  constructor(readonly baseUrl: string, private readonly timeoutMs = 10_000) {}

  /** `POST /events` of one event. */
  async publish(type: string, data: unknown, correlationId: string): Promise<PublishOutcome> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type, data, correlationId }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      // A refused connection sent nothing; a timeout or reset may have been committed.
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (code === 'ECONNREFUSED') return { outcome: 'failed', error: 'ECONNREFUSED' };
      return { outcome: 'unknown', error: code ?? (err as Error).name };
    }
    if (response.status === 201) return { outcome: 'ok', ack: JSON.parse(text) as Ack };
    // A 500 may come after the commit; every other refusal comes before it.
    const code = errorCode(text) ?? `HTTP ${response.status}`;
    return { outcome: response.status === 500 ? 'unknown' : 'failed', error: code };
  }

  /** `GET /status`, its clock read whole. */
  async status(): Promise<StatusView> {
    const status = await this.get<StatusView & ClockOfStatus>('/status');
    return { ...status, vc: statusClock(status) };
  }

  /** Every actor, in memory or passivated: `GET /actors` a page at a time. */
  async actors(): Promise<ActorView[]> {
    const actors: ActorView[] = [];
    for (let after: string | null = null; ; ) {
      const query: string = after === null ? '' : `&after=${encodeURIComponent(after)}`;
      const page: { actors: ActorView[]; next: string | null } = await this.get(`/actors?limit=${ACTOR_PAGE}${query}`);
      actors.push(...page.actors);
      if (page.next === null) return actors;
      after = page.next;
    }
  }

  /** The whole log, page by page, in delivery order. */
  async log(): Promise<LogEvent[]> {
    const events: LogEvent[] = [];
    for (let from = 1; ;) {
      const page = await this.get<{ events: LogEvent[]; next: number }>(`/log?from=${from}&limit=${LOG_PAGE}`);
      if (page.events.length === 0 || page.next <= from) return events;
      events.push(...page.events);
      from = page.next;
    }
  }

  private async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`GET ${this.baseUrl}${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }
}

/** The `code` of a `{ error: { code } }` body, if it is one. */
function errorCode(text: string): string | undefined {
  try {
    const code: unknown = (JSON.parse(text) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
