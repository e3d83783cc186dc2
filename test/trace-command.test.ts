import t from 'tap';
import type { WorkflowView } from '../inspector/feed.js';
import { causeTree, parseTraceArgs, renderWorkflow } from '../nodes/trace-command.js';
import type { StoryEvent } from '../runtime/workflow-story.js';

function event(id: string, type: string, causationId: string | null, heldBy: string[], vc: Record<string, number>): StoryEvent {
  const [origin, seq] = id.split(':');
  return { pos: 1, id, type, origin, seq: Number(seq), vc, correlationId: 'o-1', causationId, ts: 0, data: {}, transitions: [], heldBy };
}

t.test('parseTraceArgs takes a node URL and a correlation id', async (t) => {
  t.same(parseTraceArgs(['127.0.0.1:7401', 'o-1'], {}), { url: 'http://127.0.0.1:7401', correlationId: 'o-1', timeoutMs: 10_000, token: undefined });
  for (const argv of [[], ['http://a'], ['http://a', 'o-1', 'extra']]) t.throws(() => parseTraceArgs(argv), { code: 'TROUPE_BAD_FLAGS' }, argv.join(' '));
});

t.test('causeTree draws each event under its cause, siblings in the given order', async (t) => {
  const events = [
    event('n1:1', 'A', null, [], {}),
    event('n1:2', 'B', 'n1:1', [], {}),
    event('n2:1', 'C', 'n1:2', [], {}),
    event('n2:2', 'D', 'n1:1', [], {}),
    event('n3:1', 'E', 'x:9', [], {}),
  ];
  t.same(causeTree(events).map(({ event, prefix }) => `${prefix}${event.type}`), ['A', '├─ B', '│  └─ C', '└─ D', 'E']);
});

t.test('renderWorkflow shows the tree with node clocks, causes, holders and transitions, then what is pending', async (t) => {
  const view: WorkflowView = {
    correlationId: 'o-1',
    events: [
      event('n1:1', 'OrderPlaced', null, ['n1', 'n2', 'n3'], { n1: 1 }),
      { ...event('n2:1', 'PaymentCaptured', 'n1:1', ['n1', 'n2'], { n1: 1, n2: 1 }), transitions: [{ service: 'payment', key: 'o-1', from: 'idle', to: { done: 'captured' } }] },
    ],
    pending: [{ kind: 'outbox', node: 'n2', eventId: 'n2:1', peer: 'n3', text: "PaymentCaptured (n2:1) waits in n2's outbox for n3; link n2–n3 cut since 12:03:05" }],
    nodes: [
      { id: 'n1', admin: 'http://n1', reachable: true },
      { id: 'n2', admin: 'http://n2', reachable: true },
      { id: 'n3', admin: 'http://n3', reachable: true },
    ],
  };
  t.same(renderWorkflow(view), [
    'workflow o-1: 2 events, from 3 of 3 nodes (n1, n2, n3)',
    '',
    'event               id    clock      cause  held by   transitions',
    'OrderPlaced         n1:1  n1:1       -      n1,n2,n3',
    '└─ PaymentCaptured  n2:1  n1:1 n2:1  n1:1   n1,n2     payment[o-1]: idle → done.captured',
    '',
    'pending:',
    "  PaymentCaptured (n2:1) waits in n2's outbox for n3; link n2–n3 cut since 12:03:05",
  ]);
  t.match(renderWorkflow({ ...view, pending: [] }).at(-1), /^nothing pending/);
});
