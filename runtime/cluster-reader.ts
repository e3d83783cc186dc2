/**
 * The cluster as one node can reach it, through the admin APIs: a breadth-first walk from
 * that node's `GET /status` over each peer's admin URL (`peers[].admin`, told in the
 * handshake), every request bounded by a timeout. It is how `troupe status` and
 * `troupe trace` see the whole cluster from one URL, and how a node answers `GET /cluster`
 * and `GET /workflow/:correlationId` (asking every node reached for its trace, then
 * telling the story with `workflow-story.ts`).
 *
 * A node that does not answer is reported, not fatal — except the first one: from a node
 * that cannot be reached, nothing can. A cluster shares one admin token: the reader sends
 * it to every node it asks.
 */
import type { NodeStatus, WorkflowView } from '../inspector/feed.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { workflowStory, type NodeAnswer, type TraceAnswer } from './workflow-story.js';

/** One node as the walk found it. */
export interface ReachedNode {
  readonly id: string;
  /** Its admin API URL ('' when the peer that named it did not know it). */
  readonly admin: string;
  readonly reachable: boolean;
  /** Its `GET /status`, when it answered. */
  readonly status?: NodeStatus;
  /** Why it did not answer. */
  readonly error?: string;
}

/** The node doing the reading, when it is itself a node: read directly, not over HTTP. */
export interface LocalNode {
  /** Its own admin URL, as its peers know it. */
  readonly admin: string;
  status(): NodeStatus;
  trace(correlationId: string): Promise<TraceAnswer>;
}

/** Options of {@link ClusterReader}. */
export interface ClusterReaderOptions {
  /** Time allowed for one request. [default 2000] */
  readonly timeoutMs?: number;
  readonly local?: LocalNode;
  /** Told of each node as it is found (for progress). */
  readonly onNode?: (node: ReachedNode) => void;
  /** Aborts every request. */
  readonly signal?: AbortSignal;
  /** The admin token, sent as a bearer header to every node. */
  readonly token?: string;
}

const DEFAULT_TIMEOUT_MS = 2000;

/** Reads the cluster reachable from one node's admin API. */
export class ClusterReader {
  /** The admin URL the walk starts from. */
  readonly start: string;
  private readonly options: ClusterReaderOptions;

  constructor(start: string, options: ClusterReaderOptions = {}) {
    this.start = start.replace(/\/+$/, '');
    this.options = options;
  }

  /**
   * Every node reachable from the start, the start first, then by id.
   * @throws TroupeError `TROUPE_NODE_UNREACHABLE` when the start node does not answer.
   */
  async nodes(): Promise<ReachedNode[]> {
    const found = new Map<string, ReachedNode>();
    const asked = new Set<string>([this.start]);
    /** Peers some node named without an admin URL: reported only if never found otherwise. */
    const unnamed = new Set<string>();
    let level: { admin: string; id?: string }[] = [{ admin: this.start }];
    let startId: string | undefined;
    while (level.length > 0) {
      const answers = await Promise.all(level.map(async (node) => ({ node, answer: await this.settle(this.statusOf(node.admin)) })));
      const next: { admin: string; id: string }[] = [];
      for (const { node, answer } of answers) {
        if (!answer.ok) {
          if (node.id === undefined) throw new TroupeError('TROUPE_NODE_UNREACHABLE', `cannot reach ${node.admin}: ${answer.error}`);
          if (!found.has(node.id)) this.found(found, { id: node.id, admin: node.admin, reachable: false, error: answer.error });
          continue;
        }
        const status = answer.value;
        startId ??= status.id;
        if (found.get(status.id)?.reachable === true) continue;
        this.found(found, { id: status.id, admin: node.admin, reachable: true, status });
        for (const peer of status.peers) {
          if (peer.admin === undefined) unnamed.add(peer.id);
          else if (!asked.has(peer.admin) && !found.has(peer.id)) {
            asked.add(peer.admin);
            next.push({ admin: peer.admin, id: peer.id });
          }
        }
      }
      level = next;
    }
    for (const id of unnamed) {
      if (!found.has(id)) this.found(found, { id, admin: '', reachable: false, error: 'no peer knows its admin URL' });
    }
    const others = [...found.values()].filter((node) => node.id !== startId).sort((a, b) => (a.id < b.id ? -1 : 1));
    return [found.get(startId!)!, ...others];
  }

  /**
   * One workflow across every node reached: each node's trace, merged.
   * @throws TroupeError `TROUPE_NODE_UNREACHABLE` when the start node does not answer.
   */
  async workflow(correlationId: string): Promise<WorkflowView> {
    const nodes = await this.nodes();
    const answers = await Promise.all(
      nodes.map(async (node): Promise<NodeAnswer> => {
        const base = { id: node.id, admin: node.admin, ...(node.status === undefined ? {} : { status: node.status }) };
        if (!node.reachable) return { ...base, error: node.error ?? 'no answer' };
        const answer = await this.settle(this.traceOf(node.admin, correlationId));
        return answer.ok ? { ...base, trace: answer.value } : { ...base, error: answer.error };
      }),
    );
    return workflowStory(correlationId, answers);
  }

  /**
   * `GET admin + path` as JSON, within the timeout.
   * @throws TroupeError `TROUPE_NODE_UNREACHABLE` when there is no answer in time, or not a 2xx JSON one.
   */
  get<T>(admin: string, path: string, timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS): Promise<T> {
    return getJson<T>(`${admin}${path}`, timeoutMs, this.options.signal, this.options.token);
  }

  private statusOf(admin: string): Promise<NodeStatus> {
    const local = this.options.local;
    if (local !== undefined && admin === local.admin) return Promise.resolve(local.status());
    return this.get<NodeStatus>(admin, '/status');
  }

  private traceOf(admin: string, correlationId: string): Promise<TraceAnswer> {
    const local = this.options.local;
    if (local !== undefined && admin === local.admin) return local.trace(correlationId);
    return this.get<TraceAnswer>(admin, `/trace/${encodeURIComponent(correlationId)}`);
  }

  private found(found: Map<string, ReachedNode>, node: ReachedNode): void {
    found.set(node.id, node);
    this.options.onNode?.(node);
  }

  private async settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
    try {
      return { ok: true, value: await promise };
    } catch (err) {
      return { ok: false, error: err instanceof TroupeError ? err.message : reason(err) };
    }
  }
}

/**
 * `GET url` as JSON, within `timeoutMs`, or sooner if `signal` aborts; with `token` as a bearer credential.
 * @throws TroupeError `TROUPE_NODE_UNREACHABLE` when there is no answer in time, or not a 2xx JSON one
 * (with the `{ error: { code, message } }` of an admin API's answer in its message).
 */
export async function getJson<T>(url: string, timeoutMs: number, signal?: AbortSignal, token?: string): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    response = await fetch(url, { headers, signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) });
  } catch (cause) {
    const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : reason(cause);
    throw new TroupeError('TROUPE_NODE_UNREACHABLE', `GET ${url}: ${why}`, { cause });
  }
  const text = await response.text();
  if (!response.ok) {
    const error = parse<{ error?: { code?: string; message?: string } }>(text)?.error;
    const said = error === undefined ? text.slice(0, 200) : `${error.code}: ${error.message}`;
    throw new TroupeError('TROUPE_NODE_UNREACHABLE', `GET ${url} answered ${response.status} ${said}`);
  }
  const body = parse<T>(text);
  if (body === undefined) throw new TroupeError('TROUPE_NODE_UNREACHABLE', `GET ${url} answered with something other than JSON`);
  return body;
}

/** A failed fetch's reason: its cause's code or message (ECONNREFUSED) when it has one. */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? err.message;
}

function parse<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
