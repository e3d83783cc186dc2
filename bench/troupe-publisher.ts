/**
 * A troupe node with its publisher inside: the node runs in this process through the
 * public API (`startNode`), and the harness asks it over IPC to publish a load with
 * `node.publish(...)`, which resolves once the event is committed. On the sink's node it
 * also answers the harness's `DeliveryProbe` requests (`apps/sink.ts`), and on any node
 * the profile requests of `npm run profile` (`cpu-profiler.ts`). This is troupe's
 * counterpart of Moleculer's `broker.emit` in the sender's process — the publishing
 * application lives with its node — and it takes the HTTP client out of the figure: one
 * harness process sending `POST /events` saturates a core well below what the fabric
 * can carry (see the POST ceiling).
 *
 * Usage: `troupe-publisher.js --id ID --port PORT --data DIR --secret S [--peer URL]… [--relaxed] [--trust FILE --key FILE] [--retain-events N]`.
 * Logs like `troupe node` (pino JSON, including the `listening` line); SIGTERM stops the
 * node cleanly.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startNode } from '../index.js';
import { tuneHeapForNode } from '../nodes/heap-tuning.js';
import { loadIdentity } from '../nodes/key-files.js';
import app, { sinkProbe } from './apps/sink.js';
import { handleProfileRequest, type ProfileRequest } from './cpu-profiler.js';
import { probeReply, type ProbeRequest } from './delivery-probe.js';
import { runPaced, type PacedPlan, type PacedRun } from './paced-sender.js';
import { BENCH_EVENT_TYPE, benchData } from './payload.js';
import { wallClockMs } from './wall-clock.js';
import { runWindowed, type WindowedRun } from './windowed-sender.js';

/** A load the harness asks this publisher to send; events are numbered from `offset`. */
export type PublisherRequest =
  | { readonly id: number; readonly cmd: 'windowed'; readonly count: number; readonly window: number; readonly deadlineMs: number; readonly offset: number }
  | ({ readonly id: number; readonly cmd: 'paced'; readonly maxInFlight: number; readonly offset: number } & PacedPlan);

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    port: { type: 'string' },
    data: { type: 'string' },
    secret: { type: 'string' },
    peer: { type: 'string', multiple: true, default: [] },
    relaxed: { type: 'boolean', default: false },
    trust: { type: 'string' },
    key: { type: 'string' },
    'retain-events': { type: 'string' },
  },
});
// Tuned like a node the `troupe` CLI starts.
tuneHeapForNode();
const id = String(values.id);
const log = pino({ base: { node: id } });
const node = await startNode({
  id,
  secret: String(values.secret),
  identity: values.trust === undefined || values.key === undefined ? undefined : loadIdentity(id, values.key, values.trust),
  dataDir: String(values.data),
  host: '127.0.0.1',
  port: Number(values.port),
  services: app.services.filter((service) => app.placement[id]?.includes(service.name)),
  peers: values.peer,
  relaxed: values.relaxed,
  retention: values['retain-events'] === undefined ? undefined : { maxEvents: Number(values['retain-events']) },
  log,
});

async function publish(i: number): Promise<void> {
  await node.publish({ type: BENCH_EVENT_TYPE, data: benchData(i, wallClockMs()) });
}

/** Runs one request's load; errors travel back as strings (IPC carries plain data). */
async function runRequest(request: PublisherRequest): Promise<WindowedRun | PacedRun> {
  const run =
    request.cmd === 'windowed'
      ? await runWindowed({ count: request.count, window: request.window, deadlineMs: request.deadlineMs, send: (i) => publish(request.offset + i) })
      : await runPaced({
          rate: request.rate,
          count: request.count,
          deadlineMs: request.deadlineMs,
          maxInFlight: request.maxInFlight,
          send: async (first, n) => {
            const publishes: Promise<void>[] = [];
            for (let i = first; i < first + n; i++) publishes.push(publish(request.offset + i));
            await Promise.all(publishes);
          },
        });
  return run.error === undefined ? run : { ...run, error: String(run.error) };
}

process.on('message', function publisherOnRequest(request: PublisherRequest | ProbeRequest | ProfileRequest) {
  if (request.cmd === 'report' || request.cmd === 'clock') process.send?.(probeReply(sinkProbe, request));
  else if (request.cmd === 'profile-start' || request.cmd === 'profile-stop') void handleProfileRequest(request).then((reply) => process.send?.(reply));
  else void runRequest(request).then((run) => process.send?.({ ...run, id: request.id }));
});
function stopAndExit(): void {
  node.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, 'unclean stop');
      process.exit(1);
    },
  );
}
process.once('SIGTERM', stopAndExit);
// Without the harness (its IPC channel closed) nobody will ask for a load again.
process.once('disconnect', stopAndExit);
