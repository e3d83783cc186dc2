import t from 'tap';
import { figure, type FigureSet } from '../bench/figure.js';
import { renderResults, type RunResults } from '../bench/results-report.js';
import { planFor } from '../bench/suite-plan.js';

/** A full run's results holding only `troupe` (everything else not measured). */
function resultsWith(troupe: FigureSet): RunResults {
  return {
    plan: planFor(false),
    machine: { cpuModel: 'test CPU', cores: 2, memoryGiB: 8, kernel: 'test', node: 'v20', moleculer: '0.15', commit: 'abc1234' },
    startedAt: new Date('2026-12-01T00:00:00Z'),
    seconds: 60,
    ceiling: {},
    moleculer: {},
    troupe,
    failures: {},
    rawPath: 'bench/.runs/test.json',
    load: { before: 0.1, after: 0.2 },
  };
}

function goalRow(markdown: string, startsWith: string): string {
  const row = markdown.split('\n').find((line) => line.startsWith(`| ${startsWith}`));
  if (row === undefined) throw new Error(`no goal row starting with ${startsWith}`);
  return row;
}

t.test('the 1M catch-up goal shows the single runs, and says why where it is missed', async (t) => {
  const met = goalRow(
    renderResults(
      resultsWith({
        'catchup.1000000.rate': figure('events/s', [86_556, 104_199, 108_791]),
        'catchup.1000000.rss': figure('MB', [181, 175, 190]),
      }),
    ),
    'catch-up',
  );
  t.match(met, '104,199 events/s (single runs 86,556–108,791), peak RSS 181 MB');
  t.match(met, '✅ met');
  t.notMatch(met, 'why');

  const missed = goalRow(
    renderResults(
      resultsWith({
        'catchup.1000000.rate': figure('events/s', [88_625, 91_903, 98_497]),
        'catchup.1000000.rss': figure('MB', [186, 186, 186]),
      }),
    ),
    'catch-up',
  );
  t.match(missed, '91,903 events/s (single runs 88,625–98,497)');
  t.match(missed, '❌ missed');
  t.match(missed, 'why: `bench/README.md`, "Where the CPU goes"');

  const fatSink = goalRow(
    renderResults(
      resultsWith({
        'catchup.1000000.rate': figure('events/s', [120_000]),
        'catchup.1000000.rss': figure('MB', [230]),
      }),
    ),
    'catch-up',
  );
  t.match(fatSink, '120,000 events/s, peak RSS 230 MB', 'one run has no spread to show');
  t.match(fatSink, '❌ missed', 'the RSS bound counts too');
});

t.test('relaxed below durable is explained only where the two differ by 15% or more', async (t) => {
  const explanation = 'hence fewer events handled than durable';
  const close = renderResults(
    resultsWith({
      '2.durable.embedded.throughput': figure('events/s', [82_256]),
      '2.relaxed.embedded.throughput': figure('events/s', [81_664]),
      '2.relaxed.embedded.accepted': figure('events/s', [130_000]),
    }),
  );
  t.match(close, 'Durable and relaxed differ by less than 15%');
  t.notMatch(close, explanation);

  const apart = renderResults(
    resultsWith({
      '2.durable.embedded.throughput': figure('events/s', [86_506]),
      '2.relaxed.embedded.throughput': figure('events/s', [67_030]),
      '2.relaxed.embedded.accepted': figure('events/s', [140_000]),
    }),
  );
  t.match(apart, 'Skipping fsync changes throughput from 86,506 to 67,030 events/s');
  t.match(apart, explanation);

  const paced = renderResults(
    resultsWith({
      '2.durable.embedded.throughput': figure('events/s', [86_506]),
      '2.relaxed.embedded.throughput': figure('events/s', [67_030]),
      '2.relaxed.embedded.accepted': figure('events/s', [70_000]),
    }),
  );
  t.notMatch(paced, explanation, 'a publisher that did not run ahead of the sink explains nothing');
});
