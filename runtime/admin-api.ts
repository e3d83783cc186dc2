/**
 * The admin HTTP API: the contract that tools, tests and the cluster launcher use. It
 * reads from the fabric and the host and publishes through the fabric like any actor.
 * Every error answers `{ error: { code, message } }` with a stable code; bad input
 * changes nothing. Each request passes the node's guard (`admin-guard.ts`: Host, token,
 * JSON-only state changes) before any route sees it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PublishAck } from '../protocol/client-message.js';
import type { Envelope } from '../protocol/envelope.js';
import { isTroupeError, TroupeError } from '../protocol/troupe-error.js';
import { actorPage, MAX_ACTOR_PAGE, type ActorQuery } from './actor-pages.js';
import { GUARD_STATUS, type AdminGuard } from './admin-guard.js';
import { appInfo } from './app-info.js';
import { ClusterReader } from './cluster-reader.js';
import type { Fabric, PublishInput } from './fabric.js';
import type { Host } from './host.js';
import { waitingFor } from './held-back.js';
import type { Metrics } from './metrics.js';
import { readJsonBody } from './http-limits.js';
import { jsonText } from './json-text.js';
import { isInspectorPath, serveInspector } from './inspector-assets.js';
import { cutOrHeal, type LinkCutter } from './link-cutter.js';
import { LogCompactedError } from './log-compaction.js';
import { nodeStatus } from './node-status.js';
import { checkPublishBatch } from './publish-input.js';
import type { AppDefinition } from './service.js';
import type { Store } from './store.js';
import type { TraceAnswer } from './workflow-story.js';

/** Longest a `/log?wait=` long poll may hold a request. */
const MAX_WAIT_MS = 30_000;
const MAX_LOG_LIMIT = 10_000;

/** What the admin API serves. */
export interface AdminContext {
  readonly fabric: Fabric;
  readonly host: Host;
  readonly store: Store;
  readonly metrics: Metrics;
  /** The whole app (every service and the placement), for `GET /app`. */
  readonly app: AppDefinition;
  /** Cuts and heals links: only on a node started with `--chaos`. */
  readonly chaos?: LinkCutter;
  /** This node's admin URL (known once it listens), where `/cluster` and `/workflow` start. */
  readonly url: () => string;
  /** Who may ask; its token is passed on to the peers `/cluster` and `/workflow` read. */
  readonly guard: AdminGuard;
}

/** Builds the request handler of the admin API. */
export function adminApi(ctx: AdminContext): (req: IncomingMessage, res: ServerResponse) => void {
  return function adminOnRequest(req, res) {
    route(ctx, req, res).catch((err: unknown) => fail(res, err));
  };
}

async function route(ctx: AdminContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    throw badRequest(`cannot parse the request target ${JSON.stringify(req.url)}`);
  }
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const page = (method === 'GET' || method === 'HEAD') && isInspectorPath(path);
  ctx.guard.checkRequest(req, page);
  if (method === 'GET' && path === '/status') return json(res, 200, nodeStatus(ctx.fabric, ctx.host, ctx.chaos));
  if (method === 'POST' && path === '/events') return postEvent(ctx, req, res);
  if (method === 'GET' && path === '/log') return getLog(ctx, url, res);
  if (method === 'GET' && path === '/actors') return json(res, 200, await actorPage(ctx.host, ctx.store.actors, actorQuery(url)));
  if (method === 'GET' && path === '/dlq') return json(res, 200, await ctx.store.deadLetters());
  if (method === 'GET' && path === '/metrics') return text(res, 200, ctx.metrics.contentType, await ctx.metrics.render());
  if (method === 'GET' && path === '/app') return json(res, 200, await appInfo(ctx.app, ctx.host.emitsSeen()));
  if (method === 'GET' && isInspectorPath(path)) return serveInspector(path, res);
  const trace = /^\/trace\/([^/]+)$/.exec(path);
  if (method === 'GET' && trace !== null) return json(res, 200, await traceOf(ctx, segment(trace[1]), intParam(url, 'after', 0, 0, Number.MAX_SAFE_INTEGER)));
  const replay = /^\/dlq\/([^/]+)\/([^/]+)\/replay$/.exec(path);
  if (method === 'POST' && replay !== null) return replayLetter(ctx, segment(replay[1]), segment(replay[2]), res);
  const link = /^\/links\/([^/]+)\/(cut|heal)$/.exec(path);
  if (method === 'POST' && link !== null) return json(res, 200, cutOrHeal(ctx.chaos, ctx.fabric.id, segment(link[1]), link[2] as 'cut' | 'heal'));
  const retire = /^\/nodes\/([^/]+)\/retire$/.exec(path);
  if (method === 'POST' && retire !== null) return json(res, 201, retirementAnswer(await ctx.fabric.retireNode(segment(retire[1]))));
  if (method === 'GET' && path === '/cluster') return json(res, 200, { nodes: await clusterReader(ctx).nodes() });
  const workflow = /^\/workflow\/([^/]+)$/.exec(path);
  if (method === 'GET' && workflow !== null) return json(res, 200, await clusterReader(ctx).workflow(segment(workflow[1])));
  throw new TroupeError('TROUPE_NOT_FOUND', `no route ${method} ${path}`);
}

async function postEvent(ctx: AdminContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(req);
  if (Array.isArray(body)) {
    // All checked before any is published: a bad event refuses the batch and changes nothing.
    const published = await Promise.all(checkPublishBatch(body).map((input) => ctx.fabric.publish(input)));
    return json(res, 201, published.map(publishAnswer));
  }
  if (body === null || typeof body !== 'object') throw badRequest('the body must be a JSON object or an array of them');
  const { type, data, correlationId, version } = body as Record<string, unknown>;
  // The fabric checks the fields (`checkPublish`): one set of rules for every publisher.
  json(res, 201, publishAnswer(await ctx.fabric.publish({ type, data, correlationId, version } as PublishInput)));
}

function publishAnswer(e: Envelope): PublishAck {
  return { id: e.id, origin: e.origin, seq: e.seq, vc: e.vc, correlationId: e.correlationId };
}

/** `POST /nodes/:id/retire`: the retirement as committed here, with the origins it retires. */
function retirementAnswer(e: Envelope): PublishAck & { readonly origins: unknown } {
  return { ...publishAnswer(e), origins: (e.data as { origins: unknown }).origins };
}

async function getLog(ctx: AdminContext, url: URL, res: ServerResponse): Promise<void> {
  // Without `from`, a page starts at the first position retained (`log-compaction.ts`).
  const from = intParam(url, 'from', ctx.fabric.logStart, 1, Number.MAX_SAFE_INTEGER);
  const limit = intParam(url, 'limit', 1000, 1, MAX_LOG_LIMIT);
  const wait = intParam(url, 'wait', 0, 0, MAX_WAIT_MS);
  await ctx.fabric.waitFor(from, wait);
  const events = await ctx.fabric.read(from, limit);
  const next = events.length === 0 ? from : events[events.length - 1].pos + 1;
  json(res, 200, { events, next });
}

/** `GET /actors?service=&state=&limit=&after=`. */
function actorQuery(url: URL): ActorQuery {
  const text = (name: string): string | undefined => {
    const value = url.searchParams.get(name);
    if (value === '') throw badRequest(`\`${name}\` must not be empty`);
    return value ?? undefined;
  };
  return { service: text('service'), state: text('state'), after: text('after'), limit: intParam(url, 'limit', 1000, 0, MAX_ACTOR_PAGE) };
}

/** `/trace`, with what each event made this node's actors do and each held-back event's missing dependencies named. */
async function traceOf(ctx: AdminContext, correlationId: string, after = 0): Promise<unknown> {
  const trace = await ctx.fabric.trace(correlationId, undefined, after);
  const clock = ctx.fabric.clock;
  return {
    ...trace,
    events: trace.events.map((e) => ({ ...e, transitions: ctx.host.transitionsAt(e.pos) })),
    buffered: trace.buffered.map((e) => ({ ...e, waitingFor: waitingFor(e, clock) })),
  };
}

/** Reads the cluster from this node, which answers for itself directly. */
function clusterReader(ctx: AdminContext): ClusterReader {
  const admin = ctx.url();
  return new ClusterReader(admin, {
    token: ctx.guard.token,
    local: { admin, status: () => nodeStatus(ctx.fabric, ctx.host, ctx.chaos), trace: async (id) => (await traceOf(ctx, id)) as TraceAnswer },
  });
}

async function replayLetter(ctx: AdminContext, service: string, eventId: string, res: ServerResponse): Promise<void> {
  const letter = await ctx.store.deadLetter(service, eventId);
  if (letter === undefined) throw new TroupeError('TROUPE_NOT_FOUND', `no dead letter for ${eventId} in ${service}`);
  await ctx.fabric.replay(letter);
  json(res, 200, { replayed: eventId, service });
}

function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(`bad percent-encoding in ${raw}`);
  }
}

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw badRequest(`\`${name}\` must be an integer from ${min} to ${max}`);
  return n;
}

function badRequest(message: string): TroupeError {
  return new TroupeError('TROUPE_BAD_REQUEST', message);
}

const STATUS_OF: Partial<Record<string, number>> = {
  ...GUARD_STATUS,
  TROUPE_BAD_REQUEST: 400,
  TROUPE_TOO_LARGE: 413,
  TROUPE_PROTOCOL_BAD_EVENT: 400,
  TROUPE_CHAOS_DISABLED: 403,
  TROUPE_NOT_FOUND: 404,
  TROUPE_LOG_COMPACTED: 410,
  TROUPE_NODE_STOPPING: 503,
  TROUPE_DISK_FULL: 507,
  TROUPE_SERVICE_FAILED: 409,
  TROUPE_SERVICE_NO_KEY: 409,
  TROUPE_EVENT_VERSION_UNKNOWN: 409,
  TROUPE_EVENT_UPCAST_FAILED: 409,
  TROUPE_SNAPSHOT_UNRESTORED: 409,
  TROUPE_SNAPSHOT_MIGRATION_FAILED: 409,
  TROUPE_SNAPSHOT_VERSION_UNKNOWN: 409,
  TROUPE_SNAPSHOT_REJECTED: 409,
};

/**
 * Answers an error. Only troupe's own codes reach a client; anything else (a bug, a
 * `LEVEL_*` or `ERR_*` from a library) is `TROUPE_INTERNAL`.
 */
function fail(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy();
  if (isTroupeError(err)) {
    // RFC 6750: a 401 names the scheme it wants.
    if (err.code === 'TROUPE_UNAUTHORIZED') res.setHeader('www-authenticate', 'Bearer realm="troupe"');
    const first = err instanceof LogCompactedError ? { first: err.first } : {};
    return json(res, STATUS_OF[err.code] ?? 500, { error: { code: err.code, message: err.message, ...first } });
  }
  const message = err instanceof Error ? err.message : String(err);
  json(res, 500, { error: { code: 'TROUPE_INTERNAL', message: `internal error: ${message}` } });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  // An actor's context may hold a bigint, which must not fail `/actors`.
  const text = jsonText(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function text(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
