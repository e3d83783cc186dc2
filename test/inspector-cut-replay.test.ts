import t from 'tap';
import { statesAtCut } from '../inspector/cut-replay.js';
import type { ActorDetail, FeedEvent } from '../inspector/feed.js';

function event(origin: string, seq: number, vc: Record<string, number>, transitions: FeedEvent['transitions']): FeedEvent {
  return { pos: seq, id: `${origin}:${seq}`, type: 'T', origin, seq, vc, correlationId: 'o1', causationId: null, ts: 0, data: {}, transitions };
}

const actor = (service: string, key: string | null, state: unknown): ActorDetail => ({ service, key, state, status: 'active', context: {}, timers: [], accepts: [] });

t.test('replays the transitions of the events inside the cut per actor and node', async (t) => {
  const n1 = [
    event('n1', 1, { n1: 1 }, [{ service: 'order', key: 'o1', from: 'idle', to: 'pending' }]),
    event('n2', 1, { n1: 1, n2: 1 }, []),
    event('n2', 2, { n1: 1, n2: 2 }, []),
    event('n3', 1, { n1: 1, n2: 2, n3: 1 }, [{ service: 'order', key: 'o1', from: 'pending', to: 'completed' }]),
  ];
  const n2 = [
    event('n1', 1, { n1: 1 }, []),
    event('n2', 1, { n1: 1, n2: 1 }, [{ service: 'payment', key: 'o1', from: 'awaiting', to: 'captured' }]),
  ];
  const feeds = new Map([['n1', n1], ['n2', n2]]);
  const actors = new Map([['n1', [actor('order', 'o1', 'completed')]], ['n2', [actor('payment', 'o1', 'captured'), actor('inventory', null, 'tracking')]]]);

  const early = statesAtCut(feeds, actors, { n1: 1 });
  t.same(early.map((a) => [a.node, a.service, a.state, a.source]), [
    ['n1', 'order', 'pending', 'replayed'],
    ['n2', 'inventory', 'tracking', 'current'],
    ['n2', 'payment', 'awaiting', 'before'],
  ]);
  t.equal(early[0].by, 'n1:1');

  const late = statesAtCut(feeds, actors, { n1: 1, n2: 2, n3: 1 });
  t.same(late.map((a) => [a.service, a.state]), [['order', 'completed'], ['inventory', 'tracking'], ['payment', 'captured']]);

  const empty = statesAtCut(feeds, actors, {});
  t.same(empty.map((a) => [a.service, a.state]), [['order', 'idle'], ['inventory', 'tracking'], ['payment', 'awaiting']]);
});
