/**
 * Catch-up after a partition, the edge case troupe exists for: the sink node `rx` goes
 * offline with a clean SIGTERM after a warm-up, `n1` takes a backlog of published events,
 * and `rx` starts again on its data. The figure is the backlog over the time from `rx`'s
 * `listening` line to its sink handling the last backlog event — reconnect, handshake,
 * anti-entropy streaming, causal delivery, handler and commits included — and the peak
 * RSS of both nodes meanwhile (VmHWM; n1's watermark is reset just before rx restarts,
 * so it shows serving the backlog, not publishing it).
 */
import { PUBLISH_WINDOW } from './admin-client.js';
import { NO_DELIVERIES } from './delivery-probe.js';
import { waitForDelivery } from './delivery-runs.js';
import type { FigureBook } from './figure.js';
import { formatCount, type Progress } from './progress.js';
import type { SuitePlan } from './suite-plan.js';
import type { TroupeCluster } from './troupe-cluster.js';
import { wallClockMs } from './wall-clock.js';

/**
 * `rx` offline while `n1` takes a backlog, then back: how fast it catches up, and in how
 * much memory. Records `catchup.<backlog>.rate` (events/s), `.rss` (rx peak RSS, MB) and
 * `.sourceRss` (n1 peak RSS while serving, MB).
 */
export async function measureCatchUp(
  plan: SuitePlan,
  progress: Progress,
  book: FigureBook,
  cluster: TroupeCluster,
  backlog: number,
  label: string,
): Promise<void> {
  await cluster.warmUp(plan.throughputEvents.troupe / 10, plan.deliveryDeadlineMs);
  const sinkIndex = cluster.nodes.length - 1;
  await cluster.stopNode(sinkIndex);

  const chunk = Math.max(PUBLISH_WINDOW, Math.ceil(backlog / 10));
  const publishStart = wallClockMs();
  for (let first = 0; first < backlog; first += chunk) {
    const n = Math.min(chunk, backlog - first);
    const run = await cluster.runWindowed(n, PUBLISH_WINDOW, plan.deliveryDeadlineMs);
    if (run.error !== undefined || run.completed < n) throw new Error(`backlog: published ${first + run.completed} of ${backlog}: ${String(run.error ?? 'deadline')}`);
    progress(`troupe catch-up ${label}: backlog ${formatCount(first + n)}/${formatCount(backlog)} published (${formatCount(((first + n) * 1000) / (wallClockMs() - publishStart))}/s)`);
  }

  const source = cluster.nodes[0];
  source.child.resetPeakRss();
  const sink = await cluster.restartNode(sinkIndex);
  // The restarted sink's probe counts from zero: everything it handles is backlog.
  const { report, delivered } = await waitForDelivery(cluster.sinkProbe(), NO_DELIVERIES, backlog, plan.deliveryDeadlineMs);
  const sinkRss = sink.child.peakRssBytes();
  const sourceRss = source.child.peakRssBytes();
  const problem = delivered < backlog ? `only ${delivered} of ${backlog} handled within ${plan.deliveryDeadlineMs} ms` : undefined;
  const rate = report.lastAt === null || delivered === 0 ? null : (delivered * 1000) / (report.lastAt - sink.listeningAt);
  const mb = (bytes: number | null): number | null => (bytes === null ? null : bytes / (1024 * 1024));
  book.add(`catchup.${backlog}.rate`, 'events/s', rate, problem);
  book.add(`catchup.${backlog}.rss`, 'MB', mb(sinkRss), problem);
  book.add(`catchup.${backlog}.sourceRss`, 'MB', mb(sourceRss), problem);
  progress(
    `troupe catch-up ${label}: ${formatCount(backlog)} events in ${report.lastAt === null ? '?' : ((report.lastAt - sink.listeningAt) / 1000).toFixed(1)} s ` +
      `= ${formatCount(rate ?? 0)} events/s; peak RSS rx ${mb(sinkRss)?.toFixed(0)} MB, n1 ${mb(sourceRss)?.toFixed(0)} MB${problem ? ` (${problem})` : ''}`,
  );
}
