/**
 * A client of one troupe node's admin HTTP API, for the harness: publish with many
 * requests in flight over keep-alive connections (group commit needs concurrent
 * publishes to batch), and read status and actors. Loopback only: it refuses any base
 * URL that is not on 127.0.0.1.
 */
import http from 'node:http';
import type { NodeStatus } from '../inspector/feed.js';
import { statusClock } from '../inspector/status-clock.js';
import type { ActorView } from '../runtime/host.js';

/**
 * Publishes in flight at once in throughput runs, and keep-alive connections per node
 * they share. Used by the troupe runs and by the POST ceiling alike so the two compare.
 * Chosen by measurement on the 2-core machine: a node's group commit batches what is in
 * flight, so it wants hundreds; the HTTP client and server lose time to connection
 * juggling past a few dozen sockets, so requests queue on 64 connections.
 */
export const PUBLISH_WINDOW = 512;
export const PUBLISH_SOCKETS = 64;

/** Longest any request may take: a publish queued behind an overloaded commit, at worst. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Talks to one node. */
export class AdminClient {
  readonly baseUrl: string;
  private readonly agent: http.Agent;
  private readonly port: number;

  /**
   * @param baseUrl `http://127.0.0.1:PORT`, as the node's listening line gives it.
   * @param [maxSockets=PUBLISH_SOCKETS] keep-alive connections to open at most (requests beyond it queue).
   */
  constructor(baseUrl: string, maxSockets = PUBLISH_SOCKETS) {
    const url = new URL(baseUrl);
    if (url.hostname !== '127.0.0.1') throw new Error(`admin client: ${baseUrl} is not on 127.0.0.1`);
    this.baseUrl = baseUrl;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** `POST /events`; resolves on `201` (committed on that node), rejects otherwise. */
  async publish(type: string, data: unknown): Promise<void> {
    await this.request('POST', '/events', JSON.stringify({ type, data }), 201);
  }

  /** `GET /status`, its `vc` read whole (a restarted node's retired origins at their final seq: `statusClock`). */
  async status(): Promise<NodeStatus> {
    const status = JSON.parse(await this.request('GET', '/status', undefined, 200)) as NodeStatus;
    return { ...status, vc: statusClock(status) };
  }

  /** The first page of `GET /actors` (a thousand actors), with the counts of all. */
  async actors(): Promise<ActorView[]> {
    return (JSON.parse(await this.request('GET', '/actors', undefined, 200)) as { actors: ActorView[] }).actors;
  }

  /** `POST /events` with an array: resolves once all of them are committed on that node. */
  async publishBatch(events: readonly { readonly type: string; readonly data: unknown }[]): Promise<void> {
    await this.request('POST', '/events', JSON.stringify(events), 201);
  }

  /** `GET /actors?limit=0`: the count of actors per service and state, and how many are in memory. */
  async actorCounts(): Promise<{ counts: Record<string, Record<string, number>>; live: number }> {
    return JSON.parse(await this.request('GET', '/actors?limit=0', undefined, 200)) as { counts: Record<string, Record<string, number>>; live: number };
  }

  /**
   * The node's V8 heap in use and allocated, and the memory of its buffers outside the
   * heap (MB), from `GET /metrics` (prom-client's default process metrics).
   */
  async heap(): Promise<{ used: number; total: number; external: number }> {
    const text = await this.request('GET', '/metrics', undefined, 200);
    const mb = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / (1024 * 1024);
    return { used: mb('nodejs_heap_size_used_bytes'), total: mb('nodejs_heap_size_total_bytes'), external: mb('nodejs_external_memory_bytes') };
  }

  /** Closes the keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private request(method: string, path: string, body: string | undefined, expect: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        function requestOnResponse(res) {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode === expect) resolve(text);
            else reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
          });
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
