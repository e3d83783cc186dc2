import t from 'tap';
import { LinkBackpressure } from '../runtime/link-backpressure.js';
import type { PeerLink } from '../runtime/peer-state.js';

function link(peer: string): PeerLink & { paused: boolean } {
  const l = {
    peer, origin: peer, bufferedAmount: 0, paused: false, send: () => {}, close: () => {},
    pause: () => void (l.paused = true),
    resume: () => void (l.paused = false),
  };
  return l;
}

t.test('a link is paused once the deliverable events or bytes reach the budget, and resumed all at once', async (t) => {
  const intake = { deliverable: 0, deliverableBytes: 0 };
  const bp = new LinkBackpressure({ intake, maxEvents: 4, maxBytes: 100 });
  const a = link('a');
  const b = link('b');
  intake.deliverable = 3;
  bp.holdBackIfFull(a);
  t.notOk(a.paused, 'under both budgets');
  intake.deliverable = 4;
  bp.holdBackIfFull(a);
  t.ok(a.paused, 'at the event budget');
  intake.deliverable = 1;
  intake.deliverableBytes = 100;
  bp.holdBackIfFull(b);
  t.ok(b.paused, 'at the byte budget');
  bp.resumeAll();
  t.notOk(a.paused);
  t.notOk(b.paused);
});

t.test('a forgotten link is not resumed', async (t) => {
  const intake = { deliverable: 10, deliverableBytes: 0 };
  const bp = new LinkBackpressure({ intake, maxEvents: 4, maxBytes: 100 });
  const a = link('a');
  bp.holdBackIfFull(a);
  bp.forget(a);
  bp.resumeAll();
  t.ok(a.paused, 'a closed link is left alone');
});
