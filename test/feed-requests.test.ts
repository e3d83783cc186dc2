import t from 'tap';
import type { FeedContext } from '../runtime/inspector-feed.js';
import { answerFeedRequest } from '../runtime/feed-requests.js';
import type { DeadLetter } from '../runtime/store.js';

const letter: DeadLetter = { service: 'counter', key: 'a', eventId: 'n1:2', pos: 2, error: { code: 'TROUPE_SERVICE_FAILED', message: 'boom' }, at: 0 };

/** A context with one peer `p`, one dead letter, a cutter that remembers, and a replay that fails as told. */
function context(replayError?: unknown) {
  const cuts: string[] = [];
  const replayed: DeadLetter[] = [];
  const ctx = {
    fabric: {
      peerViews: () => [{ id: 'p' }],
      replay: async (l: DeadLetter) => {
        replayed.push(l);
        if (replayError !== undefined) throw replayError;
      },
    },
    store: { deadLetter: async (service: string, eventId: string) => (service === letter.service && eventId === letter.eventId ? letter : undefined) },
    chaos: { cut: (peer: string) => cuts.push(`cut ${peer}`), heal: (peer: string) => cuts.push(`heal ${peer}`), isCut: () => false },
  } as unknown as FeedContext;
  return { ctx, cuts, replayed };
}

const ask = (ctx: FeedContext, request: unknown) => answerFeedRequest(ctx, Buffer.from(JSON.stringify(request)), false);

t.test('a cut or heal of a known peer is carried out and answered with its ref', async (t) => {
  const { ctx, cuts } = context();
  t.same(await ask(ctx, { op: 'cut', ref: 3, peer: 'p' }), { kind: 'reply', ref: 3, ok: true });
  t.same(await ask(ctx, { op: 'heal', ref: 4, peer: 'p' }), { kind: 'reply', ref: 4, ok: true });
  t.same(cuts, ['cut p', 'heal p']);
});

t.test('a binary message, a missing ref or an overlong name is a bad request that changes nothing', async (t) => {
  const { ctx, cuts } = context();
  t.match(await answerFeedRequest(ctx, Buffer.from('{"op":"cut","ref":1,"peer":"p"}'), true), { ref: 0, ok: false, error: { code: 'TROUPE_BAD_REQUEST' } });
  t.match(await ask(ctx, { op: 'cut', peer: 'p' }), { ref: 0, ok: false, error: { code: 'TROUPE_BAD_REQUEST' } });
  t.match(await ask(ctx, { op: 'cut', ref: 2, peer: 'p'.repeat(257) }), { ref: 2, ok: false, error: { code: 'TROUPE_BAD_REQUEST' } });
  t.same(cuts, []);
});

t.test('a replay finds the dead letter and replays it; a failure that is no TroupeError reads as TROUPE_SERVICE_FAILED', async (t) => {
  const ok = context();
  t.same(await ask(ok.ctx, { op: 'replay', ref: 1, service: 'counter', eventId: 'n1:2' }), { kind: 'reply', ref: 1, ok: true });
  t.same(ok.replayed, [letter]);
  const failing = context(new Error('still broken'));
  t.same(await ask(failing.ctx, { op: 'replay', ref: 2, service: 'counter', eventId: 'n1:2' }), {
    kind: 'reply',
    ref: 2,
    ok: false,
    error: { code: 'TROUPE_SERVICE_FAILED', message: 'still broken' },
  });
  t.match(await ask(ok.ctx, { op: 'replay', ref: 3, service: 'counter', eventId: 'n1:9' }), { ref: 3, ok: false, error: { code: 'TROUPE_NOT_FOUND' } });
});
