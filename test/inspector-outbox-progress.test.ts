import t from 'tap';
import { outboxProgress, recordSample, RATE_WINDOW_MS } from '../inspector/outbox-progress.js';

t.test('derives the drain rate and the time to go from successive outbox depths', async (t) => {
  let samples = recordSample([], { at: 0, outbox: 10_000 });
  samples = recordSample(samples, { at: 1_000, outbox: 8_000 });
  samples = recordSample(samples, { at: 2_000, outbox: 6_000 });
  t.same(outboxProgress(samples), { left: 6_000, rate: 2_000, etaMs: 3_000 });
});

t.test('gives no rate while the outbox is not draining', async (t) => {
  const growing = recordSample(recordSample([], { at: 0, outbox: 5 }), { at: 1_000, outbox: 9 });
  t.same(outboxProgress(growing), { left: 9 });
  t.same(outboxProgress(recordSample([], { at: 0, outbox: 3 })), { left: 3 });
  t.same(outboxProgress([]), { left: 0 });
});

t.test('forgets samples older than the window', async (t) => {
  let samples = recordSample([], { at: 0, outbox: 100_000 });
  samples = recordSample(samples, { at: RATE_WINDOW_MS + 1_000, outbox: 1_000 });
  samples = recordSample(samples, { at: RATE_WINDOW_MS + 2_000, outbox: 500 });
  t.equal(samples.length, 2);
  t.equal(outboxProgress(samples).rate, 500);
});
