/**
 * Writes `bench/RESULTS.md` from one run's figures: the machine, the chart, the goals of
 * issue 3 with their verdicts, a side-by-side table with each troupe figure as a ratio to
 * the ceiling and to Moleculer from the same run, each system's detail, and every run's
 * value. What each figure measures is `bench/README.md`'s to say.
 */
import { reconnectReport, soakReport } from './bounded-report.js';
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
  /** The idle-actors run (`idle-actors.ts`), when it ran. */
  readonly idle?: FigureSet;
  /** The edge fleet run (`edge-fleet.ts`), when it ran. */
  readonly edge?: FigureSet;
  /** The soak under a retention policy (`soak.ts`), when it ran. */
  readonly soak?: FigureSet;
  /** Reconnects after few and many commits (`reconnect.ts`), when they ran. */
  readonly reconnect?: FigureSet;
  /** Suites that failed outright, with why. */
  readonly failures: Readonly<Record<string, string>>;
  /** Where the raw figures (every run's value) were written. */
  readonly rawPath: string;
  /** 1-minute load average when the run started and when it ended. */
  readonly load: { readonly before: number; readonly after: number };
}

/** A value in its unit's usual precision. */
export function formatValue(value: number | null, unit: string): string {
  if (value === null) return '—';
  if (unit === 'events/s') return formatCount(value);
  if (unit === 'ms') return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(3);
  if (unit === 'MB' || unit === 'µs/event' || unit === 'µs') return value >= 10 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value.toFixed(2);
  if (unit.startsWith('messages')) return value.toFixed(3);
  return value.toFixed(1);
}

/** A figure as the tables show it: its value, ⚠ when it has a note, `not run` when absent. */
export function show(f: Figure | undefined): string {
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

/** A Markdown table; the columns from `rightFrom` on are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], rightFrom = header.length): string {
  const rule = header.map((_, i) => (i >= rightFrom ? '---:' : '---'));
  return [`| ${header.join(' | ')} |`, `| ${rule.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The bounds of issue 3's goals. */
const GOAL = { p50Ms: 0.5, p99Ms: 3, catchUpRate: 100_000, catchUpRssMb: 200, sustainShare: 0.95, convergeMs: 1000, wireBytes: 80 } as const;

/**
 * One goal's row. `shortfalls` says how far a missed goal is from each bound it misses:
 * empty when met, `null` when this run did not measure it.
 */
interface GoalRow {
  readonly goal: string;
  readonly measured: string;
  readonly shortfalls: readonly string[] | null;
}

/** A goal's verdict: met, missed by how much, or not measured (`null`). */
export function verdict(shortfalls: readonly string[] | null): string {
  if (shortfalls === null) return '— not measured';
  return shortfalls.length === 0 ? '✅ met' : `❌ missed (${shortfalls.join(', ')})`;
}

/** The parts whose condition holds. */
export function when(...parts: readonly (readonly [boolean, string])[]): string[] {
  return parts.filter(([holds]) => holds).map(([, text]) => text);
}

function latencyGoal(t: FigureSet, mode: 'durable' | 'relaxed', goal: string, extra: string): GoalRow {
  const p50 = t[`2.${mode}.embedded.latency.1000.p50`]?.value ?? null;
  const p99 = t[`2.${mode}.embedded.latency.1000.p99`]?.value ?? null;
  if (p50 === null || p99 === null) return { goal, measured: '—', shortfalls: null };
  return {
    goal,
    measured: `p50 ${formatValue(p50, 'ms')} ms, p99 ${formatValue(p99, 'ms')} ms${extra}`,
    shortfalls: when(
      [p50 >= GOAL.p50Ms, `p50 by ${formatValue(p50 - GOAL.p50Ms, 'ms')} ms`],
      [p99 >= GOAL.p99Ms, `p99 by ${formatValue(p99 - GOAL.p99Ms, 'ms')} ms`],
    ),
  };
}

/** The bounds of issue 18's goals for `troupe/client`, against in-process publishing. */
const CLIENT_GOAL = { throughputShare: 0.6, p50SlackMs: 0.2 } as const;

/** Issue 18: the client publishes at ≥ 60% of in-process throughput, with p50 at 1k/s within 0.2 ms of it. */
function clientGoals(t: FigureSet): GoalRow[] {
  const value = (id: string): number | null => t[id]?.value ?? null;
  const inProcess = value('2.durable.embedded.throughput');
  const client = value('2.durable.client.throughput');
  const overHttp = value('2.durable.http.throughput');
  const throughputGoal = '`troupe/client` throughput ≥ 60% of in-process publishing (2 nodes durable; issue 18)';
  const rows: GoalRow[] = [];
  if (inProcess === null || client === null) rows.push({ goal: throughputGoal, measured: '—', shortfalls: null });
  else {
    const share = client / inProcess;
    rows.push({
      goal: throughputGoal,
      measured: `${formatCount(client)} vs ${formatCount(inProcess)} events/s = ${(share * 100).toFixed(0)}%${overHttp === null ? '' : ` (HTTP POST: ${(overHttp / inProcess * 100).toFixed(0)}%)`}`,
      shortfalls: when([share < CLIENT_GOAL.throughputShare, `${((CLIENT_GOAL.throughputShare - share) * 100).toFixed(0)} points short`]),
    });
  }
  const p50 = value('2.durable.client.latency.1000.p50');
  const base = value('2.durable.embedded.latency.1000.p50');
  const httpP50 = value('2.durable.http.latency.1000.p50');
  const latencyGoal = '`troupe/client` p50 at 1k events/s within 0.2 ms of in-process publishing (2 nodes durable; issue 18)';
  if (p50 === null || base === null) rows.push({ goal: latencyGoal, measured: '—', shortfalls: null });
  else {
    const gap = p50 - base;
    rows.push({
      goal: latencyGoal,
      measured: `p50 ${formatValue(p50, 'ms')} vs ${formatValue(base, 'ms')} ms in-process (+${formatValue(gap, 'ms')} ms)${httpP50 === null ? '' : `; HTTP POST ${formatValue(httpP50, 'ms')} ms`}`,
      shortfalls: when([gap > CLIENT_GOAL.p50SlackMs, `${formatValue(gap - CLIENT_GOAL.p50SlackMs, 'ms')} ms over`]),
    });
  }
  return rows;
}

/** The bound of issue 15's goal: node keys cost at most this share of throughput. */
const SIGNING_GOAL = { maxCost: 0.15 } as const;

/** Issue 15: 2 nodes durable, in-process, signed throughput ≥ 85% of the same unsigned. */
function signingGoal(t: FigureSet): GoalRow {
  const signed = t['2.durable.embedded.throughput']?.value ?? null;
  const unsigned = t['2.durable.unsigned.throughput']?.value ?? null;
  const goal = 'node keys (signed origin checkpoints) cost ≤ 15% of throughput: 2 nodes durable, in-process, against the same without keys (issue 15)';
  if (signed === null || unsigned === null) return { goal, measured: '—', shortfalls: null };
  const cost = 1 - signed / unsigned;
  return {
    goal,
    measured: `${formatCount(signed)} signed vs ${formatCount(unsigned)} events/s unsigned = ${cost >= 0 ? '−' : '+'}${Math.abs(cost * 100).toFixed(0)}%`,
    shortfalls: when([cost > SIGNING_GOAL.maxCost, `${((cost - SIGNING_GOAL.maxCost) * 100).toFixed(0)} points over`]),
  };
}

function goalRows(results: RunResults): GoalRow[] {
  const { troupe: t, moleculer: m, plan } = results;
  const value = (f: Figure | undefined): number | null => f?.value ?? null;
  const rows: GoalRow[] = [];

  const durable = value(t['2.durable.embedded.throughput']);
  const overHttp = value(t['2.durable.http.throughput']);
  const mol = value(m['emit.throughput']);
  const throughputGoal = 'durable causal throughput, 2 nodes ≥ 1.0× Moleculer (aim 1.5×) — in-process publish, like `broker.emit`';
  if (durable === null || mol === null) rows.push({ goal: throughputGoal, measured: '—', shortfalls: null });
  else {
    const http = overHttp === null ? '' : ` (over HTTP POST: ${formatCount(overHttp)}/s = ${(overHttp / mol).toFixed(2)}×)`;
    rows.push({
      goal: throughputGoal,
      measured: `${formatCount(durable)} vs ${formatCount(mol)} events/s = ${(durable / mol).toFixed(2)}×${http}`,
      shortfalls: when([durable < mol, `${(1 - durable / mol).toFixed(2)}× short of 1.0×`]),
    });
  }

  const httpP50 = value(t['2.durable.http.latency.1000.p50']);
  const httpP99 = value(t['2.durable.http.latency.1000.p99']);
  const floorP50 = value(t['disk.sync.p50']);
  const floorP99 = value(t['disk.sync.p99']);
  rows.push(
    latencyGoal(
      t,
      'durable',
      'at 1k events/s: p50 < 0.5 ms, p99 < 3 ms publish-to-handler (2 nodes durable, in-process publish)',
      (httpP50 === null || httpP99 === null ? '' : ` (over HTTP POST: ${formatValue(httpP50, 'ms')} / ${formatValue(httpP99, 'ms')} ms)`) +
        (floorP50 === null || floorP99 === null ? '' : `; one fsync'd one-event commit on this disk: p50 ${formatValue(floorP50, 'ms')} / p99 ${formatValue(floorP99, 'ms')} ms`),
    ),
    latencyGoal(t, 'relaxed', "the same, 2 nodes relaxed (no fsync: the event is on its origin's disk, not synced)", ''),
  );

  rows.push(...clientGoals(t));
  rows.push(signingGoal(t));

  const largest = [...plan.backlogs].sort((a, b) => b.events - a.events)[0];
  const rateFigure = t[`catchup.${largest?.events}.rate`];
  const rate = value(rateFigure);
  const rss = value(t[`catchup.${largest?.events}.rss`]);
  const oneMillion = largest?.events === 1_000_000;
  rows.push({
    goal: `catch-up: a 1M backlog drains at ≥ 100k events/s with RSS < 200 MB${oneMillion ? '' : ` (this run: ${formatCount(largest?.events ?? 0)} backlog only)`}`,
    measured: rate === null ? '—' : `${formatCount(rate)} events/s${spread(rateFigure)}, peak RSS ${formatValue(rss, 'MB')} MB`,
    shortfalls:
      rate === null || rss === null || !oneMillion
        ? null
        : when(
            [rate < GOAL.catchUpRate, `${formatCount(GOAL.catchUpRate - rate)} events/s short`],
            [rss >= GOAL.catchUpRssMb, `RSS ${formatValue(rss - GOAL.catchUpRssMb, 'MB')} MB over`],
          ),
  });

  const offered = value(t['10.sustain.offered']);
  const converge = value(t['10.sustain.converge']);
  const wanted = GOAL.sustainShare * plan.sustainRate;
  rows.push({
    goal: `10 nodes sustain ${formatCount(plan.sustainRate)} events/s cluster-wide without falling behind (offered ≥ 95% of it, every node has every event within 1 s of the last publish)`,
    measured: offered === null ? '—' : `offered ${formatCount(offered)}/s, every node complete ${formatValue(converge, 'ms')} ms after the last publish`,
    shortfalls:
      offered === null
        ? null
        : when(
            [offered < wanted, `offered ${formatCount(wanted - offered)}/s short`],
            [converge === null, 'never complete'],
            [converge !== null && converge > GOAL.convergeMs, `complete ${formatValue((converge ?? 0) - GOAL.convergeMs, 'ms')} ms late`],
          ),
  });

  for (const rate of plan.wireRates) {
    const overhead = value(t[`wire.5.${rate}.overhead`]);
    rows.push({
      goal: `wire overhead < 80 bytes per event beyond type and data, 5 nodes (at ${formatCount(rate)}/s)`,
      measured: overhead === null ? '—' : `${formatValue(overhead, 'B')} B per delivered copy`,
      shortfalls: overhead === null ? null : when([overhead >= GOAL.wireBytes, `${formatValue(overhead - GOAL.wireBytes, 'B')} B over`]),
    });
  }
  return rows;
}

function sideBySide(results: RunResults): string {
  const { troupe: t, ceiling: c, moleculer: m, plan } = results;
  type Row = readonly [label: string, better: 'higher' | 'lower', troupe: string, ceiling: string, moleculer: string];
  const rows: Row[] = [
    ['throughput, 2 nodes durable, in-process publish (events/s handled)', 'higher', '2.durable.embedded.throughput', 'batch.throughput', 'emit.throughput'],
    ['throughput, 2 nodes relaxed, in-process publish (events/s)', 'higher', '2.relaxed.embedded.throughput', 'batch.throughput', 'emit.throughput'],
    ['throughput, 2 nodes durable, HTTP POST publish (events/s; ceiling: POST to a bare server)', 'higher', '2.durable.http.throughput', 'post.throughput', 'emit.throughput'],
    ['throughput, 2 nodes durable, `troupe/client` publish (events/s)', 'higher', '2.durable.client.throughput', 'batch.throughput', 'emit.throughput'],
    ...plan.clusterSizes.map((n): Row => [`throughput, ${n} nodes durable, in-process publish (events/s)`, 'higher', `${n}.throughput`, 'batch.throughput', 'emit.throughput']),
    ...plan.latencyRates.flatMap((rate) =>
      (
        [
          ['durable', 'embedded', 'in-process'],
          ['relaxed', 'embedded', 'in-process'],
          ['durable', 'http', 'HTTP POST'],
          ['durable', 'client', '`troupe/client`'],
        ] as const
      ).flatMap(([d, publish, how]) =>
        (['p50', 'p99'] as const).map(
          (p): Row => [
            `latency ${p} at ${formatCount(rate)}/s, 2 nodes ${d}, ${how} publish (ms)`,
            'lower',
            `2.${d}.${publish}.latency.${rate}.${p}`,
            `${publish === 'http' ? 'post' : 'frame'}.latency.${rate}.${p}`,
            `emit.latency.${rate}.${p}`,
          ],
        ),
      ),
    ),
    ...plan.wireRates.flatMap((rate): Row[] => [
      [`bytes on the wire per event at ${formatCount(rate)}/s, 2 nodes`, 'lower', `wire.2.${rate}.bytes`, `frame.wire.${rate}.bytes`, `emit.wire.${rate}.bytes`],
      [`messages per event at ${formatCount(rate)}/s, 2 nodes`, 'lower', `wire.2.${rate}.messages`, `frame.wire.${rate}.messages`, `emit.wire.${rate}.messages`],
    ]),
    ['CPU per event in throughput runs, all processes (µs; troupe: 2 nodes durable, in-process)', 'lower', '2.durable.embedded.cpuPerEvent', 'frame.cpuPerEvent', 'emit.cpuPerEvent'],
    ['cold start, spawn to listening (ms)', 'lower', 'coldStart.listening', 'coldStart', 'coldStart'],
  ];
  return table(
    ['figure', 'better', 'troupe', 'ceiling', 'troupe ÷ ceiling', 'Moleculer', 'troupe ÷ Moleculer'],
    rows.map(([label, better, ti, ci, mi]) => [label, better, show(t[ti]), show(c[ci]), ratio(t[ti], c[ci]), show(m[mi]), ratio(t[ti], m[mi])]),
    2,
  );
}

function troupeDetail(results: RunResults): string {
  const { troupe: t, plan } = results;
  const row = (...ids: readonly string[]): string[] => ids.map((id) => show(t[id]));
  const setups = [
    ...['1', '2'].flatMap((n) => ['durable', 'relaxed'].flatMap((d) => ['embedded', 'http'].map((publish) => [n, d, publish] as const))),
    ['2', 'durable', 'client'] as const,
  ];
  const how: Record<string, string> = { embedded: 'in-process', http: 'HTTP POST', client: '`troupe/client`' };
  const two = table(
    ['setup', 'handled events/s', 'committed events/s', 'CPU µs/event', ...plan.latencyRates.flatMap((r) => [`p50 @${formatCount(r)}/s`, `p99 @${formatCount(r)}/s`, `offered @${formatCount(r)}/s`])],
    setups.map(([n, d, publish]) => {
      const p = `${n}.${d}.${publish}`;
      // Publish-to-handler latency is a question between two nodes only.
      const latency = plan.latencyRates.flatMap((r) => (n === '1' ? ['—', '—', '—'] : row(`${p}.latency.${r}.p50`, `${p}.latency.${r}.p99`, `${p}.latency.${r}.offered`)));
      return [`${n} node${n === '1' ? '' : 's'} ${d}, ${how[publish]}`, ...row(`${p}.throughput`, `${p}.accepted`, `${p}.cpuPerEvent`), ...latency];
    }),
  );
  const multi = table(
    ['nodes', 'throughput events/s', 'CPU µs/event', `offered of ${formatCount(plan.sustainRate)}/s`, 'sink handled events/s', 'p50 ms', 'p99 ms', 'sink done after last publish (ms)', 'all nodes done after last publish (ms)'],
    plan.clusterSizes.map((n) => [String(n), ...row(`${n}.throughput`, `${n}.cpuPerEvent`, ...['offered', 'handled', 'p50', 'p99', 'drain', 'converge'].map((f) => `${n}.sustain.${f}`))]),
  );
  const wire = table(
    ['nodes', 'offered', 'bytes/event (all links)', 'messages/event (all links)', 'bytes per delivered copy', 'beyond type+data', 'messages per copy'],
    [2, 5].flatMap((n) =>
      plan.wireRates.map((r) => [String(n), `${formatCount(r)}/s`, ...['bytes', 'messages', 'bytesPerCopy', 'overhead', 'messagesPerCopy'].map((f) => show(t[`wire.${n}.${r}.${f}`]))]),
    ),
  );
  const catchUp = table(
    ['backlog', 'runs', 'events/s', 'peak RSS rx (MB)', 'peak RSS n1 while serving (MB)'],
    plan.backlogs.map((b) => [formatCount(b.events), String(t[`catchup.${b.events}.rate`]?.samples.length ?? 0), ...row(...['rate', 'rss', 'sourceRss'].map((f) => `catchup.${b.events}.${f}`))]),
  );
  return [
    '### The disk under durable latency (one-event commits through the node\'s store, a 1-ms pause after each)',
    table(['commit of one event', 'p50 ms', 'p99 ms'], [['with fsync (durable)', ...row('disk.sync.p50', 'disk.sync.p99')], ['without fsync (relaxed)', ...row('disk.relaxed.p50', 'disk.relaxed.p99')]]),
    '### 1 and 2 nodes, publishing in-process, over HTTP and with `troupe/client`',
    two,
    '### 3, 5 and 10 nodes (durable, full mesh; every node but the sink publishes its share in-process)',
    multi,
    '### Wire',
    wire,
    '### Catch-up after a partition',
    catchUp,
    '### Cold start',
    table(['spawn to `listening` (ms)', 'spawn to first `/status` answer (ms)'], [row('coldStart.listening', 'coldStart.status')]),
  ].join('\n\n');
}

function referenceDetail(results: RunResults): string {
  const { ceiling: c, moleculer: m, plan } = results;
  const systems: [string, FigureSet, string][] = [
    ['ceiling: ws + msgpackr, one event per message', c, 'frame'],
    ['ceiling: ws + msgpackr, ≤ 100 events per message', c, 'batch'],
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

const SUITES = ['ceiling', 'moleculer', 'troupe'] as const;

function notes(results: RunResults): string {
  const lines = Object.entries(results.failures).map(([suite, message]) => `- **${suite} suite failed:** ${message}`);
  for (const suite of SUITES) {
    for (const [id, f] of Object.entries(results[suite])) if (f.note && id !== 'clockOffset') lines.push(`- ${suite} \`${id}\`: ${f.note}`);
  }
  return lines.length === 0 ? 'None: every run delivered every event in time.' : lines.join('\n');
}

/** Every figure with every run's value, folded away: the medians above can be checked against their spread. */
function allRuns(results: RunResults): string {
  const rows = SUITES.flatMap((suite) =>
    Object.entries(results[suite]).map(([id, f]) => [suite, `\`${id}\``, f.unit, formatValue(f.value, f.unit), f.samples.map((v) => formatValue(v, f.unit)).join(', ')]),
  );
  return `<details><summary>Every run's values</summary>\n\n${table(['suite', 'figure', 'unit', 'median', 'runs'], rows)}\n\n</details>`;
}

/** The bound of issue 17's idle-actors goal, for a million actors. */
const IDLE_RSS_MB = 300;

/** The idle-actors table and its verdict: RSS once a million actors are passivated. */
function idleActors(results: RunResults): string {
  const f = results.idle ?? {};
  const count = f['idle.actors']?.value;
  if (count == null) return 'Not run.';
  const rss = f['idle.rss']?.value ?? null;
  const shortfalls = rss === null ? null : rss < IDLE_RSS_MB ? [] : [`${formatValue(rss, 'MB')} MB ≥ ${IDLE_RSS_MB} MB`];
  const scaled = count < 1_000_000 ? ` (this run: ${formatCount(count)} actors, not a million — the goal is for a million)` : '';
  const rows = [
    ['actors created then left idle', formatCount(count)],
    ['creation rate (actors/s, one event and record each)', show(f['idle.create.rate'])],
    ['peak RSS while creating (MB)', show(f['idle.rss.peak'])],
    ['RSS once every actor is passivated (MB)', show(f['idle.rss'])],
    ['of which anonymous, not mapped files (MB)', show(f['idle.rss.anon'])],
    ['V8 heap in use / allocated, then (MB)', `${show(f['idle.heap.used'])} / ${show(f['idle.heap.total'])}`],
    ['buffers outside the V8 heap, then (MB)', show(f['idle.external'])],
    ['event to a passivated actor, p50 / p99 (ms)', `${show(f['idle.wake.p50'])} / ${show(f['idle.wake.p99'])}`],
    ['event to an actor in memory, p50 / p99 (ms)', `${show(f['idle.live.p50'])} / ${show(f['idle.live.p99'])}`],
  ];
  return `${table(['figure', 'measured'], rows, 1)}

${table(['goal', 'measured', 'verdict'], [[`RSS after passivation under ${IDLE_RSS_MB} MB for a million actors${scaled}`, `${formatValue(rss, 'MB')} MB`, verdict(shortfalls)]])}`;
}

/**
 * The bounds of issue 16's goals: a device's disk and link within 2× of its interest
 * share (the disk against the gateway's; the link against the fleet's traffic, plus this
 * many points for the handshake, acks and skip notices), catch-up rate and RSS.
 */
const EDGE_GOAL = { shareFactor: 2, shareSlackPoints: 2, catchUpRate: 50_000, rssMb: 200 } as const;

/** The edge fleet's goals table and its figures: a device's share of disk and link, and the catch-up both ways. */
export function edgeFleet(results: Pick<RunResults, 'edge'>): string {
  const f = results.edge ?? {};
  const value = (id: string): number | null => f[id]?.value ?? null;
  const share = value('fleet.interestShare');
  if (share === null) return 'Not run.';
  const bound = EDGE_GOAL.shareFactor * share + EDGE_GOAL.shareSlackPoints;
  const mb = (id: string): string => formatValue(value(id), 'MB');
  const linkRow = (): string[] => {
    const v = value('fleet.device.link');
    return [
      `a device's link (both ways) within 2× its interest share of the fleet's traffic (every byte the devices send the gateway) plus ${EDGE_GOAL.shareSlackPoints} points of overhead`,
      v === null ? '—' : `${v.toFixed(1)}% (${mb('fleet.device.linkMb')} MB vs ${mb('fleet.trafficMb')} MB), bound ${bound.toFixed(0)}%`,
      verdict(v === null ? null : when([v > bound, `${(v - bound).toFixed(1)} points over ${bound.toFixed(0)}%`])),
    ];
  };
  const up = value('fleet.catchup.up');
  const down = value('fleet.catchup.down');
  const gwRss = value('fleet.catchup.gatewayRss');
  const devRss = value('fleet.catchup.deviceRss');
  const backlog = value('fleet.backlog');
  const scaled = backlog !== null && backlog < 100_000 ? ` (this run: ${formatCount(backlog)} backlog only)` : '';
  const deviceDisk = value('fleet.device.diskMb');
  const gatewayDisk = value('fleet.gateway.diskMb');
  const emptyDisk = value('fleet.device.emptyDiskMb');
  const diskBound = gatewayDisk === null || emptyDisk === null ? null : (EDGE_GOAL.shareFactor * share * gatewayDisk) / 100 + emptyDisk;
  const rows = [
    [
      `a device's disk within 2× its interest share (${share.toFixed(0)}%) of the gateway's plus a fixed overhead (a device's data dir before any traffic)`,
      deviceDisk === null || gatewayDisk === null
        ? '—'
        : `${formatValue(deviceDisk, 'MB')} MB vs ${formatValue(gatewayDisk, 'MB')} MB (${formatValue(value('fleet.device.disk'), '%')}%), bound ${formatValue(diskBound, 'MB')} MB with ${formatValue(emptyDisk, 'MB')} MB of overhead; it holds ${formatValue(value('fleet.device.held'), '%')}% of the fleet's events`,
      verdict(deviceDisk === null || diskBound === null ? null : when([deviceDisk > diskBound, `${formatValue(deviceDisk - diskBound, 'MB')} MB over`])),
    ],
    linkRow(),
    [
      `a 100k backlog catches up at ≥ 50,000 events/s both ways${scaled}`,
      up === null || down === null
        ? '—'
        : `device → gateway ${formatCount(value('fleet.catchup.upEvents') ?? 0)} events at ${formatCount(up)}/s; gateway → device ${formatCount(value('fleet.catchup.downEvents') ?? 0)} (nearly all skip notices) at ${formatCount(down)}/s; both done at ${show(f['fleet.catchup.both'])}/s together; timed from the link up, ${show(f['fleet.catchup.reconnect'])} ms after the heal; CPU from the heal: gateway ${show(f['fleet.catchup.gatewayCpu'])} s, device ${show(f['fleet.catchup.deviceCpu'])} s`,
      verdict(
        up === null || down === null || scaled !== ''
          ? null
          : when([up < EDGE_GOAL.catchUpRate, `up ${formatCount(EDGE_GOAL.catchUpRate - up)}/s short`], [down < EDGE_GOAL.catchUpRate, `down ${formatCount(EDGE_GOAL.catchUpRate - down)}/s short`]),
      ),
    ],
    [
      'peak RSS of both sides < 200 MB during the catch-up',
      gwRss === null || devRss === null ? '—' : `gateway ${formatValue(gwRss, 'MB')} MB, device ${formatValue(devRss, 'MB')} MB`,
      verdict(gwRss === null || devRss === null ? null : when([gwRss >= EDGE_GOAL.rssMb, `gateway ${formatValue(gwRss - EDGE_GOAL.rssMb, 'MB')} MB over`], [devRss >= EDGE_GOAL.rssMb, `device ${formatValue(devRss - EDGE_GOAL.rssMb, 'MB')} MB over`])),
    ],
    [
      "the gateway's throughput and RSS with every device linked",
      `${formatCount(value('fleet.steady.events') ?? 0)} readings from 20 devices at ${show(f['fleet.steady.rate'])} events/s incl. convergence; gateway peak RSS ${mb('fleet.gateway.rss')} MB`,
      'measured',
    ],
  ];
  return table(['goal', 'measured', 'verdict'], rows);
}

/** The whole `RESULTS.md`. */
export function renderResults(results: RunResults): string {
  const { plan, machine, load } = results;
  const clock = results.ceiling['clockOffset'];
  const busy = Math.max(load.before, load.after) > machine.cores / 2 ? ' — **the machine was busy with other work during this run; every figure is pessimistic and noisy**' : '';
  const kind = plan.quick
    ? '**Quick run** (`npm run bench -- --quick`): one run per figure and smaller loads — indicative only.'
    : `Full run (\`npm run bench\`): each figure is the median of ${plan.repeats} runs (3-, 5- and 10-node clusters: ${plan.clusterRepeats}; wire: one run per load; catch-up: as its table says).`;
  return `# troupe benchmarks

${kind} What each figure measures: \`bench/README.md\`.
Generated ${results.startedAt.toISOString()} in ${Math.round(results.seconds / 60)} min; every run's value is at the end of this file (and in \`${results.rawPath}\`, not committed).

**Machine:** ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB RAM, ${machine.kernel};
Node ${machine.node}; Moleculer ${machine.moleculer}; troupe ${machine.commit}. Everything on 127.0.0.1.
Load average (1 min) ${load.before.toFixed(2)} at the start, ${load.after.toFixed(2)} at the end${busy}.
The event: ${formatValue(results.ceiling['eventBytes']?.value ?? null, 'B')} bytes of type and data as msgpack. Clock offset between two processes: ${clock?.value == null ? 'not measured' : `${formatValue(clock.value, 'µs')} µs (${clock.note ?? ''})`}.

![throughput and latency](results.svg)

## Goals (issue 3)

${table(['goal', 'measured', 'verdict'], goalRows(results).map((g) => [g.goal, g.measured, verdict(g.shortfalls)]))}

## Idle actors (issue 17)

${idleActors(results)}

## Soak under a retention policy (issue 17)

${soakReport(results.soak ?? {})}

## Reconnect after few and many commits (issue 17)

${reconnectReport(results.reconnect ?? {})}

## Edge fleet (issue 16)

One gateway (its own process) and 20 partial devices (\`d01\` its own process, 19 in the
harness process), each linked to the gateway alone through a counting TCP proxy and
wanting its own readings and its alerts: 5% of the fleet's traffic. One run.

${edgeFleet(results)}

## Side by side (same run, same machine, same event)

A ratio is troupe's figure divided by the other's: above 1× is better for throughput,
worse for latency, bytes, CPU and start time. ⚠ marks a figure with a note (see Notes).

${sideBySide(results)}

## troupe in detail

${troupeDetail(results)}

## Ceiling and Moleculer in detail

${referenceDetail(results)}

## Notes

${notes(results)}

${allRuns(results)}
`;
}
