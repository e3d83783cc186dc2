/**
 * How much work each benchmark does: a full run (`npm run bench`) and a quick one
 * (`npm run bench -- --quick`) differ only in these numbers. Every load loop takes its
 * count and its deadline from here, so a run always ends by itself.
 */

/** Sizes, durations and repetitions for one run of the suite. */
export interface SuitePlan {
  readonly quick: boolean;
  /** Runs per figure; each figure is the median. */
  readonly repeats: number;
  /**
   * Events per throughput run, per system, so each run lasts seconds. troupe publishing
   * in-process runs as many as Moleculer; `http` sizes the runs over `POST /events` and
   * the POST ceiling, which go through the same slower publisher. Every system warms up
   * on a tenth of its run first.
   */
  readonly throughputEvents: { readonly ceiling: number; readonly moleculer: number; readonly troupe: number; readonly http: number };
  /** Runs per figure of the 3-, 5- and 10-node clusters, which take longest. */
  readonly clusterRepeats: number;
  /** The fixed offered loads (events/s) of the latency runs. */
  readonly latencyRates: readonly number[];
  /** Length of each latency run (s). */
  readonly latencySeconds: number;
  /**
   * Offered loads (events/s) and length (s) of the runs that count bytes and messages.
   * Batching, and so bytes per event, depends on load: a rate every system sustains
   * shows the per-message cost, a higher one what batching recovers.
   */
  readonly wireRates: readonly number[];
  readonly wireSeconds: number;
  /** Node cold starts to time. */
  readonly coldStarts: number;
  /** One-event commits timed for the disk floor (`disk-floor.ts`), with and without fsync. */
  readonly diskCommits: number;
  /** Cluster sizes of the multi-node runs, and the cluster-wide load they must sustain. */
  readonly clusterSizes: readonly number[];
  readonly sustainRate: number;
  readonly sustainSeconds: number;
  /** Backlogs (events) of the catch-up runs, and runs per backlog. */
  readonly backlogs: readonly { readonly events: number; readonly repeats: number }[];
  /** Upper bound on any single wait for delivery (ms). */
  readonly deliveryDeadlineMs: number;
  /** Keyed actors the idle-actors run creates on one node before they go idle (`--actors` overrides). */
  readonly idleActors: number;
  /** The edge fleet (`edge-fleet.ts`): readings each device publishes in steady traffic, and the offline device's backlog. */
  readonly fleet: { readonly steady: number; readonly backlog: number };
  /** The soak (`soak.ts`): every node's `--retain-events`, the windows its 10× that is published in, at `rate` events/s. */
  readonly soak: { readonly retainEvents: number; readonly windows: number; readonly rate: number };
  /** Reconnects (`reconnect.ts`): the commits made before, small then large, and reconnects timed after each. */
  readonly reconnect: { readonly commits: readonly number[]; readonly repeats: number };
}

/** The plan for a full or a quick run. */
export function planFor(quick: boolean): SuitePlan {
  return quick
    ? {
        quick,
        repeats: 1,
        throughputEvents: { ceiling: 100_000, moleculer: 50_000, troupe: 50_000, http: 10_000 },
        clusterRepeats: 1,
        latencyRates: [1_000, 10_000],
        latencySeconds: 2,
        wireRates: [1_000, 10_000],
        wireSeconds: 1,
        coldStarts: 3,
        diskCommits: 500,
        clusterSizes: [3, 5, 10],
        sustainRate: 10_000,
        sustainSeconds: 3,
        backlogs: [{ events: 20_000, repeats: 1 }],
        deliveryDeadlineMs: 60_000,
        idleActors: 100_000,
        fleet: { steady: 200, backlog: 20_000 },
        soak: { retainEvents: 10_000, windows: 10, rate: 5_000 },
        reconnect: { commits: [1_000, 100_000], repeats: 3 },
      }
    : {
        quick,
        repeats: 5,
        throughputEvents: { ceiling: 500_000, moleculer: 200_000, troupe: 200_000, http: 20_000 },
        clusterRepeats: 3,
        latencyRates: [1_000, 10_000],
        latencySeconds: 5,
        wireRates: [1_000, 10_000],
        wireSeconds: 2,
        coldStarts: 5,
        diskCommits: 3_000,
        clusterSizes: [3, 5, 10],
        sustainRate: 10_000,
        sustainSeconds: 10,
        backlogs: [
          { events: 100_000, repeats: 3 },
          { events: 1_000_000, repeats: 3 },
        ],
        deliveryDeadlineMs: 300_000,
        idleActors: 1_000_000,
        fleet: { steady: 1_000, backlog: 100_000 },
        soak: { retainEvents: 100_000, windows: 20, rate: 10_000 },
        reconnect: { commits: [1_000, 1_000_000], repeats: 5 },
      };
}
