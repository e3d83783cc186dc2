/**
 * A client of one node's admin HTTP API (the contract in the README), over Node's global
 * `fetch`. It checks the shape of every answer it relies on, so a node that drifts from the
 * contract fails with "GET /status: peers is not an array", not with a TypeError deep in a
 * test. Every request has a timeout: a hung node fails the test instead of hanging it.
 */
import type { NodeStatus } from '../../inspector/feed.js';
import { statusClock } from '../../inspector/status-clock.js';

/** A vector clock as the API reports it: node id → count (a missing entry is 0). */
export type Clock = Record<string, number>;

/** `GET /status`: the one definition the node writes and the inspector reads. */
export type { NodeStatus };

/** `201` of `POST /events`. */
export interface Published {
  readonly id: string;
  readonly origin: string;
  readonly seq: number;
  readonly vc: Clock;
}

/** One entry of `GET /log`. */
export interface LogEntry {
  readonly pos: number;
  readonly id: string;
  readonly type: string;
  readonly origin: string;
  readonly seq: number;
  readonly vc: Clock;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly data: any;
  readonly ts: number;
}

/** One entry of `GET /actors`. */
export interface ActorInfo {
  readonly service: string;
  readonly key: string | null | undefined;
  readonly state: unknown;
  readonly status: string;
  readonly context: any;
}

/** An HTTP answer: status code and parsed body (the raw text when it is not JSON). */
export interface HttpAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
}

/** A request that got an answer the contract does not allow. */
export class AdminApiError extends Error {
  constructor(readonly node: string, readonly what: string, readonly answer?: HttpAnswer) {
    super(`${node}: ${what}${answer ? ` — HTTP ${answer.status} ${answer.text.slice(0, 500)}` : ''}`);
    this.name = 'AdminApiError';
  }
}

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * The admin API of the node at `baseUrl` (`http://127.0.0.1:PORT`), sending `token` as a
 * bearer header when the node has one.
 */
export class AdminClient {
  constructor(readonly baseUrl: string, readonly node = baseUrl, readonly token?: string) {}

  /** Any request; resolves with the answer whatever its status. */
  async request(
    method: string,
    path: string,
    body?: { json: unknown } | { raw: string; contentType?: string },
    timeout = REQUEST_TIMEOUT_MS,
  ): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    // A state-changing call is JSON even without a body: the node refuses anything else (415).
    if (method !== 'GET' && method !== 'HEAD') headers['content-type'] = 'application/json';
    let payload: string | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['content-type'] = body.contentType ?? 'application/json';
      payload = body.raw;
    }
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body: payload,
      signal: AbortSignal.timeout(timeout),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: the body stays the raw text
    }
    return { status: response.status, body: parsed, text };
  }

  /** `GET /status`, its `vc` read whole (retired origins it leaves out at their final seq: `statusClock`). */
  async status(): Promise<NodeStatus> {
    const s = await this.statusAsServed();
    return { ...s, vc: statusClock(s) };
  }

  /** `GET /status` as the node serves it: `vc` holds only the live entries. */
  async statusAsServed(): Promise<NodeStatus> {
    const answer = await this.request('GET', '/status');
    if (answer.status !== 200) throw new AdminApiError(this.node, 'GET /status', answer);
    const s = answer.body as NodeStatus;
    if (!s || typeof s !== 'object') throw new AdminApiError(this.node, 'GET /status: not an object', answer);
    if (!isClock(s.vc)) throw new AdminApiError(this.node, 'GET /status: vc is not a clock', answer);
    if (!Array.isArray(s.peers)) throw new AdminApiError(this.node, 'GET /status: peers is not an array', answer);
    if (typeof s.log?.size !== 'number') throw new AdminApiError(this.node, 'GET /status: log.size is not a number', answer);
    return s;
  }

  /** `POST /events`; resolves with the raw answer (201 or not). */
  publishRaw(type: string, data?: unknown, correlationId?: string): Promise<HttpAnswer> {
    const json: Record<string, unknown> = { type };
    if (data !== undefined) json.data = data;
    if (correlationId !== undefined) json.correlationId = correlationId;
    return this.request('POST', '/events', { json });
  }

  /** `POST /events`, which must answer 201 with `{ id, origin, seq, vc }`. */
  async publish(type: string, data?: unknown, correlationId?: string): Promise<Published> {
    const answer = await this.publishRaw(type, data, correlationId);
    if (answer.status !== 201) throw new AdminApiError(this.node, `POST /events ${type}`, answer);
    const p = answer.body as Published;
    if (typeof p?.id !== 'string' || typeof p.origin !== 'string' || typeof p.seq !== 'number' || !isClock(p.vc)) {
      throw new AdminApiError(this.node, `POST /events ${type}: 201 without { id, origin, seq, vc }`, answer);
    }
    return p;
  }

  /** One page of `GET /log`. */
  async logPage(from: number, limit: number, wait?: number): Promise<{ events: LogEntry[]; next: number }> {
    const query = `/log?from=${from}&limit=${limit}${wait !== undefined ? `&wait=${wait}` : ''}`;
    const answer = await this.request('GET', query, undefined, REQUEST_TIMEOUT_MS + (wait ?? 0));
    if (answer.status !== 200) throw new AdminApiError(this.node, `GET ${query}`, answer);
    const page = answer.body as { events: LogEntry[]; next: number };
    if (!Array.isArray(page?.events)) throw new AdminApiError(this.node, `GET ${query}: events is not an array`, answer);
    if (typeof page.next !== 'number') throw new AdminApiError(this.node, `GET ${query}: next is not a number`, answer);
    return page;
  }

  /** What the node retains of its log (from `log.first`, after retention removed older entries), page by page. */
  async retainedLog(pageSize = 500): Promise<LogEntry[]> {
    return this.log(pageSize, (await this.status()).log.first ?? 1);
  }

  /** The whole log from position `start`, page by page, in local delivery order. */
  async log(pageSize = 500, start = 1): Promise<LogEntry[]> {
    const events: LogEntry[] = [];
    let from = start;
    for (let pages = 0; ; pages++) {
      if (pages > 100_000) throw new AdminApiError(this.node, 'GET /log: pagination does not end');
      const page = await this.logPage(from, pageSize);
      if (page.events.length === 0) break;
      if (page.events.length > pageSize) {
        throw new AdminApiError(this.node, `GET /log: ${page.events.length} events for limit=${pageSize}`);
      }
      if (page.next <= from) {
        throw new AdminApiError(this.node, `GET /log?from=${from}: next=${page.next} does not advance`);
      }
      events.push(...page.events);
      from = page.next;
    }
    return events;
  }

  /** Every actor, through `GET /actors` a page at a time. */
  async actors(): Promise<ActorInfo[]> {
    const out: ActorInfo[] = [];
    for (let after: string | null = ''; after !== null; ) {
      const answer = await this.request('GET', `/actors${after === '' ? '' : `?after=${encodeURIComponent(after)}`}`);
      const body = answer.body as { actors?: unknown; next?: unknown } | null;
      if (answer.status !== 200 || body === null || !Array.isArray(body.actors)) throw new AdminApiError(this.node, 'GET /actors', answer);
      out.push(...(body.actors as ActorInfo[]));
      after = typeof body.next === 'string' ? body.next : null;
    }
    return out;
  }
}

function isClock(value: unknown): value is Clock {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    && Object.values(value).every((n) => Number.isInteger(n) && (n as number) >= 0);
}
