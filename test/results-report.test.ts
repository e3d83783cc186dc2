import t from 'tap';
import { figure, type FigureSet } from '../bench/figure.js';
import { renderResults, type RunResults } from '../bench/results-report.js';
import { planFor } from '../bench/suite-plan.js';

/** A full run's results holding only `troupe` and `moleculer` figures (everything else not measured). */
function resultsWith(troupe: FigureSet, moleculer: FigureSet = {}): RunResults {
  return {
    plan: planFor(false),
    machine: { cpuModel: 'test CPU', cores: 2, memoryGiB: 8, kernel: 'test', node: 'v20', moleculer: '0.15', commit: 'abc1234' },
    startedAt: new Date('2026-12-01T00:00:00Z'),
    seconds: 60,
    ceiling: {},
    moleculer,
    troupe,
    failures: {},
    rawPath: 'bench/.runs/test.json',
    load: { before: 0.1, after: 0.2 },
  };
}

/** The goal row starting with `start` in the report of a run with these figures. */
function goalRow(troupe: FigureSet, start: string, moleculer: FigureSet = {}): string {
  const row = renderResults(resultsWith(troupe, moleculer))
    .split('\n')
    .find((line) => line.startsWith(`| ${start}`));
  if (row === undefined) throw new Error(`no goal row starting with ${start}`);
  return row;
}

/** The catch-up goal's row for a 1M backlog drained at `rates` with peak RSS `rss` (MB). */
function catchUpRow(rates: readonly number[], rss: readonly number[]): string {
  return goalRow({ 'catchup.1000000.rate': figure('events/s', rates), 'catchup.1000000.rss': figure('MB', rss) }, 'catch-up');
}

t.test('the 1M catch-up goal shows the single runs, and by how much it is missed', async (t) => {
  const met = catchUpRow([86_556, 104_199, 108_791], [181, 175, 190]);
  t.match(met, '104,199 events/s (single runs 86,556–108,791), peak RSS 181 MB');
  t.match(met, '✅ met');

  const missed = catchUpRow([88_625, 91_903, 98_497], [186, 186, 186]);
  t.match(missed, '91,903 events/s (single runs 88,625–98,497)');
  t.match(missed, '❌ missed (8,097 events/s short) |');

  const fatSink = catchUpRow([120_000], [230]);
  t.match(fatSink, '120,000 events/s, peak RSS 230 MB', 'one run has no spread to show');
  t.match(fatSink, '❌ missed (RSS 30 MB over) |', 'the RSS bound counts too');
});

t.test('a missed latency goal says by how much each bound is exceeded', async (t) => {
  const latency = (p50: number, p99: number, mode: 'durable' | 'relaxed'): FigureSet => ({
    [`2.${mode}.embedded.latency.1000.p50`]: figure('ms', [p50]),
    [`2.${mode}.embedded.latency.1000.p99`]: figure('ms', [p99]),
  });
  t.match(goalRow(latency(0.658, 4.411, 'durable'), 'at 1k events/s'), '❌ missed (p50 by 0.158 ms, p99 by 1.411 ms) |');
  t.match(goalRow(latency(0.204, 3.456, 'relaxed'), 'the same, 2 nodes relaxed'), '❌ missed (p99 by 0.456 ms) |');
  t.match(goalRow(latency(0.214, 2.986, 'relaxed'), 'the same, 2 nodes relaxed'), '✅ met |');
});

t.test('the other goals say by how much they are missed too', async (t) => {
  const throughput = goalRow(
    { '2.durable.embedded.throughput': figure('events/s', [46_500]) },
    'durable causal throughput',
  );
  t.match(throughput, '— not measured', 'without Moleculer there is no ratio');
  const slower = goalRow(
    { '2.durable.embedded.throughput': figure('events/s', [46_500]) },
    'durable causal throughput',
    { 'emit.throughput': figure('events/s', [50_000]) },
  );
  t.match(slower, '46,500 vs 50,000 events/s = 0.93×');
  t.match(slower, '❌ missed (0.07× short of 1.0×) |');
  const tenNodes = goalRow(
    { '10.sustain.offered': figure('events/s', [9_000]), '10.sustain.converge': figure('ms', [1_250]) },
    '10 nodes sustain',
  );
  t.match(tenNodes, '❌ missed (offered 500/s short, complete 250 ms late) |');
  const wire = goalRow({ 'wire.5.1000.overhead': figure('B', [92.5]) }, 'wire overhead');
  t.match(wire, '❌ missed (12.5 B over) |');
});

t.test('a quick run does not judge the 1M catch-up goal on its smaller backlog', async (t) => {
  const results = { ...resultsWith({ 'catchup.20000.rate': figure('events/s', [90_000]), 'catchup.20000.rss': figure('MB', [120]) }), plan: planFor(true) };
  const row = renderResults(results)
    .split('\n')
    .find((line) => line.startsWith('| catch-up'));
  t.match(row, '(this run: 20,000 backlog only)');
  t.match(row, '90,000 events/s, peak RSS 120 MB');
  t.match(row, '— not measured |');
});

t.test("a device's link is judged against the fleet's traffic, and fails past twice its interest share", async (t) => {
  const linkRow = (percent: number): string => {
    const edge: FigureSet = {
      'fleet.interestShare': figure('%', [5]),
      'fleet.device.link': figure('%', [percent]),
      'fleet.device.linkMb': figure('MB', [(percent / 100) * 2.4]),
      'fleet.trafficMb': figure('MB', [2.4]),
    };
    const row = renderResults({ ...resultsWith({}), edge })
      .split('\n')
      .find((line) => line.startsWith("| a device's link"));
    if (row === undefined) throw new Error("no row for a device's link");
    return row;
  };
  const met = linkRow(5.2);
  t.match(met, "of the fleet's traffic");
  t.match(met, '5.2% (0.12 MB vs 2.4 MB), bound 12%');
  t.match(met, '✅ met |');
  t.match(linkRow(15), '❌ missed (3.0 points over 12%) |', 'a device taking three times its share misses the goal');
});

t.test('the report holds tables and verdicts, not prose findings', async (t) => {
  const report = renderResults(resultsWith({ '2.durable.embedded.throughput': figure('events/s', [90_000]) }, { 'emit.throughput': figure('events/s', [50_000]) }));
  t.match(report, '| throughput, 2 nodes durable, in-process publish (events/s handled) | higher | 90,000 | not run | — | 50,000 | 1.80× |');
  t.notMatch(report, 'Reading the figures');
  t.notMatch(report, 'What is measured');
});
