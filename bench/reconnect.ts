/**
 * Reconnect time against history (issue 17, `npm run bench -- --only reconnect`): does a
 * peer coming back cost more on a node that has made a million commits than on one that
 * has made a thousand? For each count in `plan.reconnect.commits`, a fresh 2-node cluster
 * (relaxed, its one link through a proxy) commits that many events on `n1` and converges;
 * then `plan.reconnect.repeats` times, after `WARM_UPS` unmeasured times (the processes'
 * code warm): the link is cut, `n1` commits `BACKLOG` more while `rx` is away, the link heals,
 * and the harness polls both nodes' `/status` until `rx` holds everything `n1` does and
 * `n1`'s outbox to `rx` is empty.
 *
 * `reconnect.<commits>.ms` is the time from the link up (the later of the two nodes'
 * `since` for it: handshake done on both sides) to caught up, as the harness saw it (its
 * polls come every `POLL_MS`); `reconnect.<commits>.backoffMs` is heal to link up, the
 * dialler's reconnect backoff, reported apart.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeStatus } from '../inspector/feed.js';
import { PUBLISH_WINDOW } from './admin-client.js';
import { FigureBook, type FigureSet } from './figure.js';
import { formatCount, type Progress } from './progress.js';
import type { SuitePlan } from './suite-plan.js';
import { TroupeCluster } from './troupe-cluster.js';
import { wallClockMs } from './wall-clock.js';

/** Events `n1` commits while `rx` is cut off, before each reconnect. */
export const RECONNECT_BACKLOG = 1_000;
/** Unmeasured reconnects first, so that the code they run is compiled (a 1,000-commit cluster has run little else). */
const WARM_UPS = 3;
const POLL_MS = 5;
const DEADLINE_MS = 60_000;

const sum = (vc: Record<string, number>): number => Object.values(vc).reduce((a, b) => a + b, 0);
const linkOf = (status: NodeStatus, peer: string): NodeStatus['peers'][number] | undefined => status.peers.find((p) => p.id === peer);

/** Runs the reconnects after each history size of the plan. */
export async function runReconnectSuite(plan: SuitePlan, progress: Progress, dir: string): Promise<FigureSet> {
  const book = new FigureBook();
  book.add('reconnect.backlog', 'events', RECONNECT_BACKLOG);
  for (const commits of plan.reconnect.commits) {
    await TroupeCluster.run({ size: 2, relaxed: true, proxied: true, publish: 'embedded', dataDir: `${dir}-${commits}` }, async (cluster) => {
      const [n1, rx] = cluster.nodes;
      const ids = [n1.spec.id, rx.spec.id] as const;
      const statuses = (): Promise<[NodeStatus, NodeStatus]> => Promise.all([n1.client.status(), rx.client.status()]);
      const until = async (what: string, done: (s: [NodeStatus, NodeStatus]) => boolean): Promise<[NodeStatus, NodeStatus]> => {
        const deadline = wallClockMs() + DEADLINE_MS;
        for (;;) {
          const s = await statuses();
          if (done(s)) return s;
          if (wallClockMs() > deadline) throw new Error(`reconnect after ${commits} commits: timed out waiting for ${what}`);
          await sleep(POLL_MS);
        }
      };
      const caughtUp = ([a, b]: [NodeStatus, NodeStatus]): boolean => sum(a.vc) === sum(b.vc) && linkOf(a, ids[1])?.connected === true && linkOf(a, ids[1])?.outbox === 0;

      const publishStart = wallClockMs();
      const run = await cluster.runWindowed(commits, PUBLISH_WINDOW, plan.deliveryDeadlineMs);
      if (run.error !== undefined || run.completed < commits) throw new Error(`reconnect: committed ${run.completed} of ${commits}: ${String(run.error ?? 'deadline')}`);
      await until('rx to hold the history', caughtUp);
      progress(`reconnect: ${formatCount(commits)} commits made and replicated in ${((wallClockMs() - publishStart) / 1000).toFixed(1)} s`);

      for (let r = -WARM_UPS; r < plan.reconnect.repeats; r++) {
        cluster.cutLinks();
        await until('the link to go down', ([a, b]) => linkOf(a, ids[1])?.connected !== true && linkOf(b, ids[0])?.connected !== true);
        const backlog = await cluster.runWindowed(RECONNECT_BACKLOG, PUBLISH_WINDOW, plan.deliveryDeadlineMs);
        if (backlog.error !== undefined || backlog.completed < RECONNECT_BACKLOG) throw new Error(`reconnect: backlog ${backlog.completed} of ${RECONNECT_BACKLOG}: ${String(backlog.error ?? 'deadline')}`);
        const healed = wallClockMs();
        cluster.healLinks();
        const [a, b] = await until('rx to catch up', caughtUp);
        const doneAt = wallClockMs();
        const linkedAt = Math.max(linkOf(a, ids[1])?.since ?? healed, linkOf(b, ids[0])?.since ?? healed);
        if (r < 0) continue;
        book.add(`reconnect.${commits}.ms`, 'ms', doneAt - linkedAt);
        book.add(`reconnect.${commits}.backoffMs`, 'ms', linkedAt - healed);
        progress(`reconnect after ${formatCount(commits)} commits: caught up ${(doneAt - linkedAt).toFixed(0)} ms after the link came up (${(linkedAt - healed).toFixed(0)} ms after the heal)`);
      }
    });
  }
  return book.figures();
}
