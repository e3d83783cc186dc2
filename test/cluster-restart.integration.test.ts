/**
 * `troupe cluster` restarting a node for its demo (`DemoContext.restart`), for real: the
 * launcher runs the edge-sync demo (with a small backlog), whose act 3 wipes `d1`'s data
 * directory and restarts it; `d1` comes back on its port, links to the gateway again and
 * gets its own history back, and the launcher does not take the stop for a crash.
 */
import { createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import { nodeOf } from '../protocol/origin.js';
import { startCli } from './helpers/cli-run.js';
import { SMALL_BACKLOG } from './fixtures/apps/edge-sync-small.js';
import { waitFor } from './helpers/wait-for.js';

const APP = 'test/fixtures/apps/edge-sync-small.ts';
/** gw, d1 … d4. */
const NODES = 5;

/** Whether `port` on loopback can be listened on right now. */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (listening) await new Promise((resolve) => server.close(resolve));
  return listening;
}

/** A `--base-port` whose next `count` ports are free (they were a moment ago). */
async function freeBasePort(count: number): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    if (port + count > 65535) continue;
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => isFree(port + i + 1)));
    if (rest.every(Boolean)) return port - 1;
  }
}

interface LogPage {
  readonly events: readonly { readonly origin: string }[];
  readonly next: number;
}

interface Status {
  readonly origin?: string;
  readonly recovering: boolean;
  readonly vc: Record<string, number>;
  readonly retired?: { readonly origins: readonly { readonly origin: string; readonly final: number }[] };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** Events of each origin that `url`'s log holds, read page by page. */
async function heldByOrigin(url: string): Promise<Map<string, number>> {
  const held = new Map<string, number>();
  for (let from = 1; ; ) {
    const page = await getJson<LogPage>(`${url}/log?from=${from}&limit=1000`);
    for (const event of page.events) held.set(event.origin, (held.get(event.origin) ?? 0) + 1);
    if (page.events.length === 0) return held;
    from = page.next;
  }
}

t.test('the edge-sync demo wipes a device through troupe cluster, and the device gets its own history back from the gateway', async (t) => {
  const base = await freeBasePort(NODES);
  const run = startCli(t, ['cluster', '--app', APP, '--base-port', String(base), '--data', t.testdir(), '--fresh']);
  let over = false;
  void run.ended.then(function launcherEnded() {
    over = true;
  });
  const out = await waitFor(() => run.stdout(), {
    until: (text) => /demo finished|demo failed|did not get its history back/.test(text),
    failFast: () => (over ? 'troupe cluster exited' : undefined),
    timeout: 120_000,
    interval: 200,
    message: () => `the edge-sync demo to finish\n${run.stdout().slice(-4000)}\n${run.stderr().slice(-2000)}`,
    describe: (text) => text.slice(-1500),
  });
  t.match(out, /demo finished/, 'the demo ran to its end');
  t.match(out, /restarting d1 with its data directory wiped/);
  t.match(out, /d1 is back up and linked to gw in/);
  const wiped = /d1 wiped: got back (\d+) of its (\d+) own events from gw/.exec(out);
  t.ok(wiped, 'the demo says what d1 got back (it says so only once all of it is back)');
  t.ok(Number(wiped?.[2]) > SMALL_BACKLOG, 'its backlog and act 1 readings among them');
  t.notMatch(out, /d1 (exited|was killed)[^\n]*(before the cluster was stopped|the other nodes keep running)/, 'the restart is not taken for a crash');

  // What d1 holds, read from its log: every event of its earlier start, as the gateway counts them.
  const d1Url = `http://127.0.0.1:${base + 2}`;
  const gwUrl = `http://127.0.0.1:${base + 1}`;
  const d1 = await getJson<Status>(`${d1Url}/status`);
  const gw = await getJson<Status>(`${gwUrl}/status`);
  const gwClock: Record<string, number> = { ...gw.vc };
  for (const { origin, final } of gw.retired?.origins ?? []) gwClock[origin] ??= final;
  const earlier = Object.keys(gwClock).filter((origin) => nodeOf(origin) === 'd1' && origin !== d1.origin);
  t.equal(earlier.length, 1, 'd1 had one earlier start');
  t.equal(d1.recovering, false);
  const held = await heldByOrigin(d1Url);
  t.same(earlier.map((origin) => held.get(origin) ?? 0), earlier.map((origin) => gwClock[origin]), 'd1 holds each event of its earlier start');

  run.kill('SIGINT');
  const ended = await run.ended;
  t.equal(ended.code, 0, `the cluster stops cleanly\n${ended.stdout.slice(-2000)}`);
});
