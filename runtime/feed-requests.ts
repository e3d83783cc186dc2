/**
 * What a `/feed` viewer may ask: to cut or heal a link (nodes started with `--chaos`) and
 * to replay a dead letter. A request is a JSON text message with a numeric `ref`; its
 * reply carries that `ref`, and a bad request gets an error reply and changes nothing.
 */
import type { RawData } from 'ws';
import type { FeedReply } from '../inspector/feed.js';
import { errorData, TroupeError } from '../protocol/troupe-error.js';
import type { FeedContext } from './inspector-feed.js';

/** Carries out one request; resolves to its reply, never rejects. */
export function answerFeedRequest(ctx: FeedContext, data: RawData, isBinary: boolean): Promise<FeedReply> {
  let parsed: unknown;
  try {
    if (isBinary) throw new Error('binary');
    parsed = JSON.parse(rawText(data));
  } catch {
    return Promise.resolve(failed(0, new TroupeError('TROUPE_BAD_REQUEST', 'a request must be a JSON text message')));
  }
  const request = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  const ref = typeof request.ref === 'number' && Number.isFinite(request.ref) ? request.ref : 0;
  return perform(ctx, request).then(
    (): FeedReply => ({ kind: 'reply', ref, ok: true }),
    (err: unknown) => failed(ref, err),
  );
}

async function perform(ctx: FeedContext, request: Record<string, unknown>): Promise<void> {
  const { op } = request;
  if (typeof request.ref !== 'number' || !Number.isFinite(request.ref)) throw badRequest('`ref` must be a number');
  if (op === 'cut' || op === 'heal') {
    const peer = nonEmpty(request.peer, 'peer');
    const chaos = ctx.chaos;
    if (chaos === undefined) throw new TroupeError('TROUPE_CHAOS_DISABLED', 'this node takes no cut/heal requests; start it with --chaos');
    if (!ctx.fabric.peerViews().some((p) => p.id === peer)) throw new TroupeError('TROUPE_NOT_FOUND', `no peer ${peer}`);
    if (op === 'cut') chaos.cut(peer);
    else chaos.heal(peer);
    return;
  }
  if (op === 'replay') {
    const service = nonEmpty(request.service, 'service');
    const eventId = nonEmpty(request.eventId, 'eventId');
    const letter = await ctx.store.deadLetter(service, eventId);
    if (letter === undefined) throw new TroupeError('TROUPE_NOT_FOUND', `no dead letter for ${eventId} in ${service}`);
    await ctx.fabric.replay(letter);
    return;
  }
  throw badRequest(`unknown op ${JSON.stringify(op)}; expected cut, heal or replay`);
}

function failed(ref: number, err: unknown): FeedReply {
  return { kind: 'reply', ref, ok: false, error: errorData(err, 'TROUPE_SERVICE_FAILED') };
}

function nonEmpty(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 256) throw badRequest(`\`${name}\` must be a string of 1 to 256 characters`);
  return value;
}

function badRequest(message: string): TroupeError {
  return new TroupeError('TROUPE_BAD_REQUEST', message);
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
