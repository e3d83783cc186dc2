import { Histogram, Registry } from 'prom-client';
import t from 'tap';
import { EventHistogram } from '../runtime/event-histogram.js';

const BUCKETS = [0.001, 0.0025, 0.01, 0.5, 1, 10];
/** Below, on and between the bounds, past the last one, and zero. */
const VALUES = [0, 0.0005, 0.001, 0.001, 0.002, 0.3, 0.5, 0.75, 1, 9.99, 10, 11, 300, 0.0025];

t.test('renders the same series as a prom-client histogram given the same observations', async (t) => {
  const ours = new Registry();
  const theirs = new Registry();
  const histogram = new EventHistogram({ name: 'h_seconds', help: 'Some help.', buckets: BUCKETS, registers: [ours] });
  const reference = new Histogram({ name: 'h_seconds', help: 'Some help.', buckets: BUCKETS, registers: [theirs] });
  for (const v of VALUES) {
    histogram.observe(v);
    reference.observe(v);
  }
  const text = await ours.metrics();
  t.equal(text, await theirs.metrics());
  t.match(text, /h_seconds_bucket\{le="0\.001"\} 4\n/, 'a value on a bound counts in that bound\'s bucket');
  t.match(text, /h_seconds_count 14\n/);
});

t.test('shows zeros before any observation, and again after a reset', async (t) => {
  const registry = new Registry();
  const histogram = new EventHistogram({ name: 'h', help: 'h', buckets: [1, 2], registers: [registry] });
  const empty = await registry.metrics();
  t.match(empty, /h_bucket\{le="\+Inf"\} 0\nh_sum 0\nh_count 0/);
  histogram.observe(1.5);
  t.match(await registry.metrics(), /h_bucket\{le="2"\} 1\n/);
  registry.resetMetrics();
  t.equal(await registry.metrics(), empty);
});

t.test('is read through a merged registry like prom-client\'s own metrics', async (t) => {
  const own = new Registry();
  new EventHistogram({ name: 'h', help: 'h', buckets: [1], registers: [own] }).observe(0.5);
  const merged = Registry.merge([own, new Registry()]);
  t.match(await merged.metrics(), /# TYPE h histogram\nh_bucket\{le="1"\} 1\n/);
  const [json] = await merged.getMetricsAsJSON();
  t.equal(json.name, 'h');
});
