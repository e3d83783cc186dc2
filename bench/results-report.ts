/**
 * Writes `bench/RESULTS.md` from one run's figures: the goals of issue 3 with what was
 * measured, a side-by-side table with each troupe figure as a ratio to the ceiling and to
 * Moleculer from the same run, the detail of each system, the machine, and what exactly
 * each figure measures.
 */
import type { Figure, FigureSet } from './figure.js';
import type { MachineInfo } from './machine-info.js';
import { formatCount } from './progress.js';
import type { SuitePlan } from './suite-plan.js';

/** Everything one run produced. */
export interface RunResults {
  readonly plan: SuitePlan;
  readonly machine: MachineInfo;
  readonly startedAt: Date;
  readonly seconds: number;
  readonly ceiling: FigureSet;
  readonly moleculer: FigureSet;
  readonly troupe: FigureSet;
  /** Suites that failed outright, with why. */
  readonly failures: Readonly<Record<string, string>>;
  /** Where the raw figures (every run's value) were written. */
  readonly rawPath: string;
  /** 1-minute load average when the run started and when it ended. */
  readonly load: { readonly before: number; readonly after: number };
}

type Better = 'higher' | 'lower';

/** A value in its unit's usual precision. */
export function formatValue(value: number | null, unit: string): string {
  if (value === null) return '—';
  if (unit === 'events/s') return formatCount(value);
  if (unit === 'ms') return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(3);
  if (unit === 'MB' || unit === 'µs/event' || unit === 'µs') return value >= 10 ? value.toFixed(0) : value.toFixed(1);
  if (unit.startsWith('messages')) return value.toFixed(3);
  return value.toFixed(1);
}

function show(f: Figure | undefined): string {
  if (f === undefined) return 'not run';
  const text = formatValue(f.value, f.unit);
  return f.note ? `${text} ⚠` : text;
}

/** ` (single runs lo–hi)` for a median of several differing runs, else nothing. */
function spread(f: Figure | undefined): string {
  if (f === undefined || f.samples.length < 2) return '';
  const lo = Math.min(...f.samples);
  const hi = Math.max(...f.samples);
  return lo === hi ? '' : ` (single runs ${formatValue(lo, f.unit)}–${formatValue(hi, f.unit)})`;
}

function ratio(a: Figure | undefined, b: Figure | undefined): string {
  if (a?.value == null || b?.value == null || b.value === 0) return '—';
  const r = a.value / b.value;
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toPrecision(2)}×`;
}

interface Row {
  readonly label: string;
  readonly better: Better;
  readonly troupe?: Figure;
  readonly ceiling?: Figure;
  readonly moleculer?: Figure;
}

function sideBySide(results: RunResults): string {
  const { troupe: t, ceiling: c, moleculer: m, plan } = results;
  const rows: Row[] = [
    { label: 'throughput, 2 nodes durable, in-process publish (events/s handled)', better: 'higher', troupe: t['2.durable.embedded.throughput'], ceiling: c['batch.throughput'], moleculer: m['emit.throughput'] },
    { label: 'throughput, 2 nodes relaxed, in-process publish (events/s)', better: 'higher', troupe: t['2.relaxed.embedded.throughput'], ceiling: c['batch.throughput'], moleculer: m['emit.throughput'] },
    { label: 'throughput, 2 nodes durable, HTTP POST publish (events/s; ceiling: POST to a bare server)', better: 'higher', troupe: t['2.durable.http.throughput'], ceiling: c['post.throughput'], moleculer: m['emit.throughput'] },
    ...plan.clusterSizes.map(
      (n): Row => ({ label: `throughput, ${n} nodes durable, in-process publish (events/s)`, better: 'higher', troupe: t[`${n}.throughput`], ceiling: c['batch.throughput'], moleculer: m['emit.throughput'] }),
    ),
    ...plan.latencyRates.flatMap((rate): Row[] =>
      (
        [
          ['durable', 'embedded', 'in-process'],
          ['relaxed', 'embedded', 'in-process'],
          ['durable', 'http', 'HTTP POST'],
        ] as const
      ).flatMap(([d, publish, how]): Row[] =>
        (['p50', 'p99'] as const).map((p) => ({
          label: `latency ${p} at ${formatCount(rate)}/s, 2 nodes ${d}, ${how} publish (ms)`,
          better: 'lower',
          troupe: t[`2.${d}.${publish}.latency.${rate}.${p}`],
          ceiling: c[`${publish === 'http' ? 'post' : 'frame'}.latency.${rate}.${p}`],
          moleculer: m[`emit.latency.${rate}.${p}`],
        })),
      ),
    ),
    ...plan.wireRates.flatMap((rate): Row[] => [
      { label: `bytes on the wire per event at ${formatCount(rate)}/s, 2 nodes`, better: 'lower', troupe: t[`wire.2.${rate}.bytes`], ceiling: c[`frame.wire.${rate}.bytes`], moleculer: m[`emit.wire.${rate}.bytes`] },
      { label: `messages per event at ${formatCount(rate)}/s, 2 nodes`, better: 'lower', troupe: t[`wire.2.${rate}.messages`], ceiling: c[`frame.wire.${rate}.messages`], moleculer: m[`emit.wire.${rate}.messages`] },
    ]),
    { label: 'CPU per event in throughput runs, all processes (µs; troupe: 2 nodes durable, in-process)', better: 'lower', troupe: t['2.durable.embedded.cpuPerEvent'], ceiling: c['frame.cpuPerEvent'], moleculer: m['emit.cpuPerEvent'] },
    { label: 'cold start, spawn to listening (ms)', better: 'lower', troupe: t['coldStart.listening'], ceiling: c['coldStart'], moleculer: m['coldStart'] },
  ];
  const lines = [
    '| figure | better | troupe | ceiling | troupe ÷ ceiling | Moleculer | troupe ÷ Moleculer |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.label} | ${row.better} | ${show(row.troupe)} | ${show(row.ceiling)} | ${ratio(row.troupe, row.ceiling)} | ${show(row.moleculer)} | ${ratio(row.troupe, row.moleculer)} |`,
    );
  }
  return lines.join('\n');
}

type Verdict = 'met' | 'missed' | 'not measured';

/** The bounds of issue 3's goals. */
const GOAL = { p50Ms: 0.5, p99Ms: 3, catchUpRate: 100_000, catchUpRssMb: 200, wireBytes: 80 } as const;

/** The parts that say something, joined: how a missed goal's shortfalls read. */
function joinParts(parts: readonly string[]): string {
  return parts.filter((part) => part !== '').join(', ');
}

function goals(results: RunResults): string {
  const { troupe: t, moleculer: m, plan } = results;
  const lines = ['| goal | measured | verdict |', '| --- | --- | --- |'];
  /** `by`: how far a missed goal is from its bound, e.g. `p99 by 1.411 ms`. */
  const add = (goal: string, measured: string, verdict: Verdict, by?: string): void => {
    const shown = verdict === 'met' ? '✅ met' : verdict === 'missed' ? `❌ missed${by ? ` (${by})` : ''}` : '— not measured';
    lines.push(`| ${goal} | ${measured} | ${shown} |`);
  };
  const value = (f: Figure | undefined): number | null => f?.value ?? null;

  const durable = value(t['2.durable.embedded.throughput']);
  const overHttp = value(t['2.durable.http.throughput']);
  const mol = value(m['emit.throughput']);
  const vsMol = durable !== null && mol !== null ? durable / mol : null;
  add(
    'durable causal throughput, 2 nodes ≥ 1.0× Moleculer (aim 1.5×) — in-process publish, like `broker.emit`',
    vsMol === null
      ? '—'
      : `${formatCount(durable ?? 0)} vs ${formatCount(mol ?? 0)} events/s = ${vsMol.toFixed(2)}×` +
          (overHttp === null || mol === null ? '' : ` (over HTTP POST: ${formatCount(overHttp)}/s = ${(overHttp / mol).toFixed(2)}×)`),
    vsMol === null ? 'not measured' : vsMol >= 1 ? 'met' : 'missed',
    vsMol === null ? undefined : `${(1 - vsMol).toFixed(2)}× short of 1.0×`,
  );

  const p50 = value(t['2.durable.embedded.latency.1000.p50']);
  const p99 = value(t['2.durable.embedded.latency.1000.p99']);
  const httpP50 = value(t['2.durable.http.latency.1000.p50']);
  const httpP99 = value(t['2.durable.http.latency.1000.p99']);
  const floorP50 = value(t['disk.sync.p50']);
  const floorP99 = value(t['disk.sync.p99']);
  const latencyMet = (a: number, b: number): boolean => a < GOAL.p50Ms && b < GOAL.p99Ms;
  const latencyOver = (a: number, b: number): string =>
    joinParts([
      a >= GOAL.p50Ms ? `p50 by ${formatValue(a - GOAL.p50Ms, 'ms')} ms` : '',
      b >= GOAL.p99Ms ? `p99 by ${formatValue(b - GOAL.p99Ms, 'ms')} ms` : '',
    ]);
  const latencyWhy = '; why: `bench/README.md`, "Latency at 1k/s"';
  add(
    'at 1k events/s: p50 < 0.5 ms, p99 < 3 ms publish-to-handler (2 nodes durable, in-process publish)',
    p50 === null || p99 === null
      ? '—'
      : `p50 ${formatValue(p50, 'ms')} ms, p99 ${formatValue(p99, 'ms')} ms` +
          (httpP50 === null || httpP99 === null ? '' : ` (over HTTP POST: ${formatValue(httpP50, 'ms')} / ${formatValue(httpP99, 'ms')} ms)`) +
          (floorP50 === null || floorP99 === null
            ? ''
            : `; the floor: one fsync'd commit of one event on this disk, one per ms, takes p50 ${formatValue(floorP50, 'ms')} / p99 ${formatValue(floorP99, 'ms')} ms, and the origin commits before it sends`) +
          (latencyMet(p50, p99) ? '' : latencyWhy),
    p50 === null || p99 === null ? 'not measured' : latencyMet(p50, p99) ? 'met' : 'missed',
    p50 === null || p99 === null ? undefined : latencyOver(p50, p99),
  );
  const relaxedP50 = value(t['2.relaxed.embedded.latency.1000.p50']);
  const relaxedP99 = value(t['2.relaxed.embedded.latency.1000.p99']);
  add(
    'the same, 2 nodes relaxed (no fsync: the event is on its origin\'s disk, not synced)',
    relaxedP50 === null || relaxedP99 === null
      ? '—'
      : `p50 ${formatValue(relaxedP50, 'ms')} ms, p99 ${formatValue(relaxedP99, 'ms')} ms` + (latencyMet(relaxedP50, relaxedP99) ? '' : latencyWhy),
    relaxedP50 === null || relaxedP99 === null ? 'not measured' : latencyMet(relaxedP50, relaxedP99) ? 'met' : 'missed',
    relaxedP50 === null || relaxedP99 === null ? undefined : latencyOver(relaxedP50, relaxedP99),
  );

  const largest = [...plan.backlogs].sort((a, b) => b.events - a.events)[0];
  const rateFigure = t[`catchup.${largest?.events}.rate`];
  const rate = value(rateFigure);
  const rss = value(t[`catchup.${largest?.events}.rss`]);
  const oneMillion = largest?.events === 1_000_000;
  const catchUpVerdict: Verdict =
    rate === null || rss === null || !oneMillion ? 'not measured' : rate >= GOAL.catchUpRate && rss < GOAL.catchUpRssMb ? 'met' : 'missed';
  add(
    `catch-up: a 1M backlog drains at ≥ 100k events/s with RSS < 200 MB${oneMillion ? '' : ` (this run: ${formatCount(largest?.events ?? 0)} backlog only)`}`,
    rate === null
      ? '—'
      : `${formatCount(rate)} events/s${spread(rateFigure)}, peak RSS ${formatValue(rss, 'MB')} MB` +
          // The drain rate is the sink's CPU per event, so it scatters with what else the two cores run.
          (catchUpVerdict === 'missed' ? '; why: `bench/README.md`, "Where the CPU goes"' : ''),
    catchUpVerdict,
    rate === null || rss === null
      ? undefined
      : joinParts([
          rate < GOAL.catchUpRate ? `${formatCount(GOAL.catchUpRate - rate)} events/s short` : '',
          rss >= GOAL.catchUpRssMb ? `RSS ${formatValue(rss - GOAL.catchUpRssMb, 'MB')} MB over` : '',
        ]),
  );

  const offered = value(t['10.sustain.offered']);
  const converge = value(t['10.sustain.converge']);
  add(
    `10 nodes sustain ${formatCount(plan.sustainRate)} events/s cluster-wide without falling behind (offered ≥ 95% of it, every node has every event within 1 s of the last publish)`,
    offered === null ? '—' : `offered ${formatCount(offered)}/s, every node complete ${formatValue(converge, 'ms')} ms after the last publish`,
    offered === null || converge === null ? (offered === null ? 'not measured' : 'missed') : offered >= 0.95 * plan.sustainRate && converge <= 1000 ? 'met' : 'missed',
    offered === null
      ? undefined
      : joinParts([
          offered < 0.95 * plan.sustainRate ? `offered ${formatCount(0.95 * plan.sustainRate - offered)}/s short` : '',
          converge === null ? 'never complete' : converge > 1000 ? `complete ${formatValue(converge - 1000, 'ms')} ms late` : '',
        ]),
  );

  for (const rate of plan.wireRates) {
    const overhead = value(t[`wire.5.${rate}.overhead`]);
    add(
      `wire overhead < 80 bytes per event beyond type and data, 5 nodes (at ${formatCount(rate)}/s)`,
      overhead === null ? '—' : `${formatValue(overhead, 'B')} B per delivered copy`,
      overhead === null ? 'not measured' : overhead < GOAL.wireBytes ? 'met' : 'missed',
      overhead === null ? undefined : `${formatValue(overhead - GOAL.wireBytes, 'B')} B over`,
    );
  }
  return lines.join('\n');
}

/**
 * What the figures say about where troupe's time goes, derived from them with fixed
 * rules — so a reader (and the next optimisation) starts from the bottleneck.
 */
function findings(results: RunResults): string {
  const { troupe: t, ceiling: c, plan } = results;
  const value = (f: Figure | undefined): number | null => f?.value ?? null;
  const out: string[] = [];
  const post = value(c['post.throughput']);
  const embedded = value(t['2.durable.embedded.throughput']);
  const overHttp = value(t['2.durable.http.throughput']);
  if (post !== null && overHttp !== null) {
    const share = overHttp / post;
    out.push(
      share >= 0.8
        ? `**Over HTTP, publishing is the bottleneck**: 2 durable nodes fed by \`POST /events\` handle ${formatCount(overHttp)} events/s, ${Math.round(share * 100)}% of what the same publisher gets from a bare HTTP server (${formatCount(post)}/s).`
        : `**Over HTTP, the node rather than the publisher is the bottleneck**: 2 durable nodes fed by \`POST /events\` handle ${formatCount(overHttp)} events/s, ${Math.round(share * 100)}% of what the same publisher gets from a bare HTTP server (${formatCount(post)}/s).`,
    );
  }
  if (embedded !== null && overHttp !== null) {
    out.push(`Publishing in-process (\`node.publish()\`) instead of over HTTP: ${formatCount(embedded)} vs ${formatCount(overHttp)} events/s with 2 durable nodes.`);
  }
  const one = value(t['1.durable.embedded.throughput']);
  if (one !== null && embedded !== null) {
    out.push(
      `One node publishing to its own handler (no replication) handles ${formatCount(one)} events/s; a second node ${embedded >= one ? 'costs nothing measurable' : `costs ${Math.round((1 - embedded / one) * 100)}%`} (in-process publish, durable).`,
    );
  }
  const relaxed = value(t['2.relaxed.embedded.throughput']);
  const relaxedAccepted = value(t['2.relaxed.embedded.accepted']);
  if (relaxed !== null && embedded !== null) {
    out.push(
      Math.abs(relaxed - embedded) / embedded < 0.15
        ? `Durable and relaxed differ by less than 15% (${formatCount(embedded)} vs ${formatCount(relaxed)} events/s): fsync is not what limits throughput; group commit amortises it.`
        : `Skipping fsync changes throughput from ${formatCount(embedded)} to ${formatCount(relaxed)} events/s (2 nodes, in-process publish).`,
    );
    // Only where the two differ at all (by 15% or more): a smaller gap is within the runs' spread.
    if (relaxedAccepted !== null && relaxed < 0.85 * embedded && relaxedAccepted > 1.2 * relaxed) {
      out.push(
        `Relaxed, the publishing node is no longer paced by fsync: it commits ${formatCount(relaxedAccepted)} events/s, more than the sink handles, so the sink falls behind and the publisher reads its events back from LevelDB to send them. On ${results.machine.cores} cores shared by both nodes, that work comes out of the sink's CPU, hence fewer events handled than durable (\`bench/README.md\`, "Where the CPU goes").`,
      );
    }
  }
  for (const rate of plan.latencyRates) {
    for (const [publish, how] of [['embedded', 'in-process'], ['http', 'over HTTP']] as const) {
      const offered = value(t[`2.durable.${publish}.latency.${rate}.offered`]);
      if (offered !== null && offered < 0.95 * rate) {
        out.push(
          `At ${formatCount(rate)}/s offered ${how}, 2 durable nodes accepted only ${formatCount(offered)}/s (publishes waited for commits, up to 2,048 in flight): latencies at that load are mostly queueing.`,
        );
      }
    }
  }
  return out.length === 0 ? 'Not enough figures in this run to say.' : out.map((line) => `- ${line}`).join('\n');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function troupeDetail(results: RunResults): string {
  const { troupe: t, plan } = results;
  const two = table(
    ['setup', 'handled events/s', 'committed (publish resolved) events/s', 'CPU µs/event', ...plan.latencyRates.flatMap((r) => [`p50 @${formatCount(r)}/s`, `p99 @${formatCount(r)}/s`, `offered @${formatCount(r)}/s`])],
    ['1', '2'].flatMap((n) => ['durable', 'relaxed'].flatMap((d) => ['embedded', 'http'].map((publish) => `${n}.${d}.${publish}`))).map((p) => {
      const [nodes, durability, publish] = p.split('.');
      // Latency is measured between two nodes only: publish-to-handler on one node is not the question.
      const latency = (id: string): string => (nodes === '1' ? '—' : show(t[id]));
      return [
        `${nodes} node${nodes === '1' ? '' : 's'} ${durability}, ${publish === 'http' ? 'HTTP POST' : 'in-process'}`,
        show(t[`${p}.throughput`]),
        show(t[`${p}.accepted`]),
        show(t[`${p}.cpuPerEvent`]),
        ...plan.latencyRates.flatMap((r) => [latency(`${p}.latency.${r}.p50`), latency(`${p}.latency.${r}.p99`), latency(`${p}.latency.${r}.offered`)]),
      ];
    }),
  );
  const multi = table(
    ['nodes', 'throughput events/s', 'CPU µs/event', `offered of ${formatCount(plan.sustainRate)}/s`, 'sink handled events/s', 'p50 ms', 'p99 ms', 'sink done after last publish (ms)', 'all nodes done after last publish (ms)'],
    plan.clusterSizes.map((n) => [
      String(n),
      show(t[`${n}.throughput`]),
      show(t[`${n}.cpuPerEvent`]),
      show(t[`${n}.sustain.offered`]),
      show(t[`${n}.sustain.handled`]),
      show(t[`${n}.sustain.p50`]),
      show(t[`${n}.sustain.p99`]),
      show(t[`${n}.sustain.drain`]),
      show(t[`${n}.sustain.converge`]),
    ]),
  );
  const wire = table(
    ['nodes', 'offered', 'bytes/event (all links)', 'messages/event (all links)', 'bytes per delivered copy', 'beyond type+data', 'messages per copy'],
    [2, 5].flatMap((n) =>
      plan.wireRates.map((r) => {
        const id = `wire.${n}.${r}`;
        return [String(n), `${formatCount(r)}/s`, show(t[`${id}.bytes`]), show(t[`${id}.messages`]), show(t[`${id}.bytesPerCopy`]), show(t[`${id}.overhead`]), show(t[`${id}.messagesPerCopy`])];
      }),
    ),
  );
  const catchUp = table(
    ['backlog', 'runs', 'events/s', 'peak RSS rx (MB)', 'peak RSS n1 while serving (MB)'],
    plan.backlogs.map((b) => [
      formatCount(b.events),
      String(t[`catchup.${b.events}.rate`]?.samples.length ?? 0),
      show(t[`catchup.${b.events}.rate`]),
      show(t[`catchup.${b.events}.rss`]),
      show(t[`catchup.${b.events}.sourceRss`]),
    ]),
  );
  const cold = table(
    ['spawn to `listening` (ms)', 'spawn to first `/status` answer (ms)'],
    [[show(t['coldStart.listening']), show(t['coldStart.status'])]],
  );
  const disk = table(
    ['commit of one event', 'p50 ms', 'p99 ms'],
    [
      ['with fsync (durable)', show(t['disk.sync.p50']), show(t['disk.sync.p99'])],
      ['without fsync (relaxed)', show(t['disk.relaxed.p50']), show(t['disk.relaxed.p99'])],
    ],
  );
  return [
    '### The disk under durable latency (`disk-floor.ts`: one-event commits through the node\'s store, one at a time, a 1-ms pause after each as at 1k/s)',
    disk,
    '### 1 and 2 nodes, publishing in-process (`node.publish()` in the publishing node) and over HTTP (`POST /events` from the harness)',
    two,
    '### 3, 5 and 10 nodes (durable, full mesh; every node but the sink publishes its share in-process)',
    multi,
    '### Wire',
    wire,
    '### Catch-up after a partition',
    catchUp,
    '### Cold start',
    cold,
  ].join('\n\n');
}

function referenceDetail(results: RunResults): string {
  const { ceiling: c, moleculer: m, plan } = results;
  const systems: [string, FigureSet, string][] = [
    ['ceiling: ws + msgpackr, one event per message', c, 'frame'],
    [`ceiling: ws + msgpackr, ≤ 100 events per message`, c, 'batch'],
    ['ceiling: HTTP POST per event to a bare server', c, 'post'],
    ['Moleculer broker.emit', m, 'emit'],
  ];
  return table(
    ['system', 'events/s', 'CPU µs/event', ...plan.latencyRates.flatMap((r) => [`p50 @${formatCount(r)}/s`, `p99 @${formatCount(r)}/s`]), ...plan.wireRates.flatMap((r) => [`B/event @${formatCount(r)}/s`, `messages/event @${formatCount(r)}/s`])],
    systems.map(([label, set, p]) => [
      label,
      show(set[`${p}.throughput`]),
      show(set[`${p}.cpuPerEvent`]),
      ...plan.latencyRates.flatMap((r) => [show(set[`${p}.latency.${r}.p50`]), show(set[`${p}.latency.${r}.p99`])]),
      // HTTP requests are the publish API, not a link between nodes: no wire figures for POST.
      ...plan.wireRates.flatMap((r) => (p === 'post' ? ['—', '—'] : [show(set[`${p}.wire.${r}.bytes`]), show(set[`${p}.wire.${r}.messages`])])),
    ]),
  );
}

function notes(results: RunResults): string {
  const lines: string[] = [];
  for (const [suite, message] of Object.entries(results.failures)) lines.push(`- **${suite} suite failed:** ${message}`);
  for (const [suite, set] of [['ceiling', results.ceiling], ['moleculer', results.moleculer], ['troupe', results.troupe]] as const) {
    for (const [id, f] of Object.entries(set)) if (f.note && id !== 'clockOffset') lines.push(`- ${suite} \`${id}\`: ${f.note}`);
  }
  return lines.length === 0 ? 'None: every run delivered every event in time.' : lines.join('\n');
}

/** Every figure with every run's value, folded away: the medians above can be checked against their spread. */
function allRuns(results: RunResults): string {
  const rows: string[][] = [];
  for (const [suite, set] of [['ceiling', results.ceiling], ['moleculer', results.moleculer], ['troupe', results.troupe]] as const) {
    for (const [id, f] of Object.entries(set)) {
      rows.push([suite, `\`${id}\``, f.unit, formatValue(f.value, f.unit), f.samples.map((v) => formatValue(v, f.unit)).join(', ')]);
    }
  }
  return `<details><summary>Every run's values</summary>\n\n${table(['suite', 'figure', 'unit', 'median', 'runs'], rows)}\n\n</details>`;
}

/** The whole `RESULTS.md`. */
export function renderResults(results: RunResults): string {
  const { plan, machine } = results;
  const clock = results.ceiling['clockOffset'];
  return `# troupe benchmarks

${plan.quick ? '**Quick run** (`npm run bench -- --quick`): one run per figure and smaller loads — indicative only.' : `Full run (\`npm run bench\`): each figure is the median of ${plan.repeats} runs (3-, 5- and 10-node clusters: ${plan.clusterRepeats}; wire: one run per load; catch-up: as its table says).`}
Generated ${results.startedAt.toISOString()} in ${Math.round(results.seconds / 60)} min; every run's value is at the end of this file (and in \`${results.rawPath}\`, not committed).

**Machine:** ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB RAM, ${machine.kernel};
Node ${machine.node}; Moleculer ${machine.moleculer}; troupe ${machine.commit}. Everything on 127.0.0.1.
Load average (1 min) ${results.load.before.toFixed(2)} at the start, ${results.load.after.toFixed(2)} at the end${
    Math.max(results.load.before, results.load.after) > machine.cores / 2
      ? ` — **the machine was busy with other work during this run; every figure is pessimistic and noisy**`
      : ''
  }.

![throughput and latency](results.svg)

## Goals (issue 3)

${goals(results)}

## Reading the figures

${findings(results)}

## Side by side (same run, same machine, same event)

The ceiling column is the best the stack can do: batched \`ws\` + msgpackr for throughput,
one event per message for latency and wire; for rows published over HTTP, the same HTTP
publisher against a bare server. A ratio is troupe's figure divided by the other's: above
1× is better for throughput, worse for latency, bytes, CPU and start time. ⚠ marks a
figure with a note (see Notes).

${sideBySide(results)}

## troupe in detail

${troupeDetail(results)}

## Ceiling and Moleculer in detail

${referenceDetail(results)}

## What is measured

- **The event.** Every system carries the same event: type \`${'bench.event'}\` and a
  six-field order line (\`payload.ts\`), ${formatValue(results.ceiling['eventBytes']?.value ?? null, 'B')} bytes as a msgpack map.
  The data includes \`sentAt\`: the publisher's wall clock (\`performance.timeOrigin +
  performance.now()\`, sub-ms) when it handed the event to the system.
- **How troupe is fed.** Two ways, both measured. *In-process*: the publishing node runs
  \`troupe-publisher.js\` — the node started with the public \`startNode()\` and the load
  published with \`node.publish()\`, which resolves once the event is committed; this
  is the counterpart of Moleculer's \`broker.emit\` in the sender's process, and what
  the goals are judged on. *HTTP*: the harness sends \`POST /events\` (answered 201 once
  committed) round-robin over the publishing nodes, 512 requests in flight on 64
  keep-alive connections per node — the admin API as a client sees it. The 3-, 5- and
  10-node clusters, the wire runs and the catch-up publish in-process.
- **Publish-to-handler latency** is the receiving handler's wall clock when it runs minus
  \`sentAt\`, stamped just before \`node.publish()\` / the HTTP request / \`broker.emit\` /
  the WebSocket send. For troupe the handler is the \`sink\` XState machine on node \`rx\`:
  its action reads the clock (a deliberate exception to "machines take time from the
  event", see \`apps/sink.ts\`) before the receiving node commits the batch — so it
  includes the commit on the origin (fsync when durable), replication and causal
  delivery, but not the receiver's own commit. For Moleculer it is the \`sink\` service's
  event handler; for the ceiling, the receiver's message or request handler. Every
  handler records into the same \`DeliveryProbe\`, read over its process's IPC channel
  (the troupe sink's machine itself keeps a count, persisted with each commit). Processes
  share the machine's clock: measured offset between two processes
  ${clock?.value == null ? 'not measured' : `${formatValue(clock.value, 'µs')} µs (${clock.note ?? ''})`}.
  Latencies go into a log histogram with 5% buckets and are reported as the bucket's
  upper bound.
- **Fixed offered load.** A paced sender sends what is due each timer tick (~1 ms: at
  10k/s about ten events per tick), stamping each as sent; with several publishing nodes
  each offers its share. Each rate starts with one unmeasured run of the same length,
  for every system: a paced load takes other paths than a throughput run (one event per
  commit and per frame), which V8 compiles in its first seconds at that rate.
  Fixed-load runs get a fresh cluster of their own (warmed up like the others), and
  every cluster's writes are flushed (\`sync\`) when it stops, so that compacting or
  writing back what the throughput runs wrote does not weigh on them. "offered" is the
  rate actually achieved: when a system cannot keep up (its publishes take too long to be
  accepted, up to 2,048 in flight for troupe) the sender falls behind and the figure says
  so, and the latency then includes queueing.
- **Throughput** is N events over the time from the first send to the handler running for
  the N-th. troupe: 512 publishes in flight (split over the publishing nodes), each
  resolved after its commit; Moleculer: \`broker.emit\` with 1,000 emits in flight (each
  resolves when written to the socket); ceiling: frames written with 4,000 events
  awaiting write callbacks, and for the POST ceiling troupe's HTTP publisher against a
  bare \`node:http\` server that answers 201 as soon as it has parsed the body.
  "committed" is how fast the publishes resolved. troupe publishing in-process runs as
  many events per run as Moleculer (${formatCount(results.plan.throughputEvents.troupe)}); over HTTP, ${formatCount(results.plan.throughputEvents.http)}. Every system
  first gets an unmeasured warm-up of a tenth of its run (JIT, connections, the sink actor). **CPU µs/event** is the CPU time of
  every process (harness and nodes) during the run over N.
- **Bytes and messages on the wire** are counted by a TCP proxy in the harness on every
  link (both directions, including acknowledgements and heartbeats, after the
  handshake) in separate runs, so the proxy never slows the throughput or latency runs.
  Messages are WebSocket data messages (troupe, ceiling) or Moleculer TCP packets. Per
  delivered copy divides by the n − 1 nodes each event reaches. "Beyond type+data"
  subtracts the ${formatValue(results.ceiling['eventBytes']?.value ?? null, 'B')}-byte msgpack of type and data.
- **Catch-up after a partition:** \`rx\` is stopped (SIGTERM) after a warm-up, \`n1\` takes
  the backlog, \`rx\` is started again on its data; events/s is the backlog over the time
  from \`rx\`'s \`listening\` line to the sink handling the last backlog event. Peak RSS is
  VmHWM from \`/proc\`: rx over its whole life, n1 from just before rx restarts. It counts
  file pages mapped into the process as well (the node binary, and the LevelDB tables
  LevelDB reads through \`mmap\`), not only the memory the process allocated.
- **Cold start:** spawn of \`node dist/nodes/cli.js node\` with a fresh data directory to
  its \`listening\` log line, and to its first \`/status\` answer. Moleculer: spawn to
  \`broker.start()\` resolved; ceiling: spawn to its server listening.
- Moleculer runs with its TCP transporter, \`udpDiscovery: false\`, static \`urls\` on
  127.0.0.1, default JSON serializer, no metrics, tracing or logging. Every process the
  suite starts runs with a guard (\`loopback-guard.ts\`) that refuses any TCP connection
  off 127.0.0.1, binds servers to 127.0.0.1, and disables UDP.

## Notes

${notes(results)}

${allRuns(results)}
`;
}
