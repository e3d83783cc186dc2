/**
 * A troupe node as a real child process: `node dist/nodes/cli.js node …`, one pid per node,
 * so `kill('SIGKILL')` is a real `kill -9` of the node.
 *
 * The helper captures stdout (pino JSON lines, parsed when they parse) and stderr, learns
 * the node's URL from its `listening` line, and can restart a killed node with the same
 * flags on the same port and data dir so its peers' reconnects reach it again. Every
 * process it spawns is killed in the owning test's teardown — and, as a last resort, when
 * the test process exits — so a failing test never leaves nodes behind. The tail of a
 * node's output is what failure messages attach.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminClient } from './admin-client.js';
import { waitFor } from './wait-for.js';

/** The repository root: tests run the CLI from here so `--app examples/orders` resolves. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI (`npm run build` writes it; `npm test` builds before it runs tap). */
export const CLI = join(REPO_ROOT, 'dist', 'nodes', 'cli.js');

/** The slice of tap's `Test` these helpers use, so they do not depend on tap's types. */
export interface Teardownable {
  teardown(fn: () => void | Promise<void>): void;
}

/** One line a node wrote on stdout, parsed if it is JSON. */
export interface OutputLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  /** The pino record, when the line is JSON. */
  readonly json?: Record<string, unknown>;
}

/** A `failFast` for waits on `nodes`: says which node crashed, if any. */
export function crashed(nodes: readonly NodeProcess[]): () => string | undefined {
  return () => nodes.map((node) => node.unexpectedExit).find((why) => why !== undefined);
}

/** Flags of `troupe node`. */
export interface NodeOptions {
  readonly id: string;
  /** The app module, relative to the repository root. [default: 'examples/orders'] */
  readonly app?: string;
  /** The data dir; a fresh temp dir when absent. */
  readonly data?: string;
  /** [default: 0, the OS picks; a restart reuses the port the node got] */
  readonly port?: number;
  readonly peers?: readonly string[];
  readonly services?: readonly string[];
  readonly secret?: string;
  /** Extra environment for the process (e.g. `TROUPE_SECRET`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra raw CLI arguments. */
  readonly extraArgs?: readonly string[];
  /** `--admin-token`: the admin API's bearer token, which {@link NodeProcess.admin} sends. */
  readonly adminToken?: string;
}

const MAX_LINES = 20_000;
const live = new Set<ChildProcess>();

// Last resort: if the test process goes down before a teardown ran, take the nodes with it.
process.once('exit', function killNodesOnExit() {
  for (const child of live) child.kill('SIGKILL');
});

/** A fresh temp directory for one node's LevelDB, removed in `t`'s teardown. */
export async function tempDataDir(t: Teardownable, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `troupe-it-${name}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}

/** How a node process ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A node process that can be started, killed and restarted. Start it with
 * {@link startNode}, which also registers the teardown.
 */
export class NodeProcess {
  readonly id: string;
  readonly data: string;
  readonly options: NodeOptions;
  /** Every line so far across restarts (the oldest dropped past 20000). */
  readonly lines: OutputLine[] = [];
  private child: ChildProcess | undefined;
  private exitInfo: ExitInfo | undefined;
  private exited: Promise<ExitInfo> | undefined;
  private expectingExit = false;
  private runs = 0;
  private listeningLine: OutputLine | undefined;
  /** The port it listens on, known once started; reused on restart. */
  port: number | undefined;

  constructor(options: NodeOptions & { data: string }) {
    this.id = options.id;
    this.data = options.data;
    this.options = options;
    this.port = options.port && options.port > 0 ? options.port : undefined;
  }

  /** `http://127.0.0.1:PORT`. */
  get url(): string {
    if (this.port === undefined) throw new Error(`node ${this.id} has not reported its port yet`);
    return `http://127.0.0.1:${this.port}`;
  }

  /** `ws://127.0.0.1:PORT`, what peers dial. */
  get wsUrl(): string {
    return this.url.replace(/^http:/, 'ws:');
  }

  /** The admin API of this node. */
  get admin(): AdminClient {
    return new AdminClient(this.url, this.id, this.options.adminToken ?? this.options.env?.TROUPE_ADMIN_TOKEN);
  }

  /** The pid of the current process. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether the current process is running. */
  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** Whether the current process has logged `listening` and not exited: it takes requests. */
  get ready(): boolean {
    return this.running && this.listeningLine !== undefined;
  }

  /** Why the node is down when nobody stopped it (a crash), or `undefined`. */
  get unexpectedExit(): string | undefined {
    return this.exitInfo && !this.expectingExit
      ? `node ${this.id} exited unexpectedly (${JSON.stringify(this.exitInfo)})`
      : undefined;
  }

  /** The CLI arguments of the next run. */
  args(): string[] {
    const o = this.options;
    const args = ['node', '--id', o.id, '--port', String(this.port ?? 0), '--data', this.data,
      '--app', o.app ?? 'examples/orders'];
    for (const peer of o.peers ?? []) args.push('--peer', peer);
    if (o.services) args.push('--services', o.services.join(','));
    // A node needs a cluster secret; tests that do not care share one.
    const secret = o.secret ?? (o.env?.TROUPE_SECRET === undefined ? 'troupe-test-secret' : undefined);
    if (secret !== undefined) args.push('--secret', secret);
    if (o.adminToken !== undefined) args.push('--admin-token', o.adminToken);
    args.push(...(o.extraArgs ?? []));
    return args;
  }

  /** Spawns the process and waits until it logs `listening`; returns its URL. */
  async start(timeout = 30_000): Promise<string> {
    if (this.running) throw new Error(`node ${this.id} is already running`);
    this.runs++;
    this.note(`--- run ${this.runs}: node ${CLI} ${this.args().join(' ')}`);
    this.exitInfo = undefined;
    this.expectingExit = false;
    this.listeningLine = undefined;
    const child = spawn(process.execPath, [CLI, ...this.args()], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        const info = { code, signal };
        if (this.child === child) this.exitInfo = info;
        this.note(`--- exited: code ${code} signal ${signal}`
          + (this.expectingExit ? '' : ' (UNEXPECTED)'));
        resolve(info);
      });
    });
    child.once('error', (err) => this.note(`--- spawn error: ${err.message}`));
    collectLines(child.stdout!, (text) => this.push('stdout', text));
    collectLines(child.stderr!, (text) => this.push('stderr', text));

    const seen = await waitFor(() => ({ listening: this.listeningLine, exit: this.exitInfo }), {
      timeout,
      interval: 25,
      message: () => `node ${this.id} to log {"msg":"listening"}\n${this.tail()}`,
      until: (s) => s.listening !== undefined || s.exit !== undefined,
      describe: (s) => JSON.stringify(s),
    });
    const listening = seen.listening;
    if (!listening) {
      throw Object.assign(new Error(`node ${this.id} exited before listening (${JSON.stringify(seen.exit)})`), { context: this.tail() });
    }
    const url = String(listening.json?.url ?? '');
    const match = /^https?:\/\/[^:/]+:(\d+)/.exec(url);
    if (!match) throw new Error(`node ${this.id} logged listening without a URL: ${listening.text}`);
    const port = Number(match[1]);
    if (this.port !== undefined && this.port !== port) {
      throw new Error(`node ${this.id} listens on ${port}, asked for ${this.port}`);
    }
    this.port = port;
    return this.url;
  }

  /** Sends `signal` and waits for the process to exit; returns how it ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeout = 15_000): Promise<ExitInfo> {
    const child = this.child;
    if (!child || !this.exited) throw new Error(`node ${this.id} was never started`);
    if (this.exitInfo) return this.exitInfo;
    this.expectingExit = true;
    child.kill(signal);
    const timer = setTimeout(() => {
      this.note(`--- did not exit on ${signal} within ${timeout} ms; SIGKILL`);
      child.kill('SIGKILL');
    }, timeout);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** `kill -9`: no chance to flush or close anything. */
  kill9(): Promise<ExitInfo> {
    return this.stop('SIGKILL');
  }

  /** Starts the node again on the same data dir and port. */
  async restart(timeout = 30_000): Promise<string> {
    if (this.running) throw new Error(`node ${this.id} is still running; stop it first`);
    // The freed port can be taken for a moment as the local end of some outbound
    // connection on this machine; the node then fails with EADDRINUSE. Try again a few times.
    for (let attempt = 1; ; attempt++) {
      const from = this.lines.length;
      try {
        return await this.start(timeout);
      } catch (err) {
        const inUse = this.lines.slice(from).some((l) => l.text.includes('EADDRINUSE'));
        if (!inUse || attempt >= 5 || this.running) throw err;
        this.note(`--- port ${this.port} in use; restarting again (attempt ${attempt + 1})`);
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  /** Kills whatever is still running (teardown). */
  async destroy(): Promise<void> {
    try {
      if (this.running) await this.stop('SIGTERM', 5_000);
    } catch {
      this.child?.kill('SIGKILL');
    }
  }

  /** The parsed pino records that satisfy `predicate`, across restarts. */
  records(predicate: (record: Record<string, unknown>) => boolean): Record<string, unknown>[] {
    const found: Record<string, unknown>[] = [];
    for (const line of this.lines) if (line.json && predicate(line.json)) found.push(line.json);
    return found;
  }

  /** Waits until a pino record satisfying `predicate` has been logged. */
  async waitForRecord(
    predicate: (record: Record<string, unknown>) => boolean,
    what: string,
    timeout = 30_000,
  ): Promise<Record<string, unknown>> {
    const records = await waitFor(() => this.records(predicate), {
      timeout,
      interval: 50,
      until: (found) => found.length > 0,
      message: () => `node ${this.id} to log ${what}\n${this.tail()}`,
      describe: () => '(no such line yet)',
    });
    return records[0]!;
  }

  /** The last `n` lines of output, labelled with the node id, for failure messages. */
  tail(n = 40): string {
    const lines = this.lines.slice(-n).map((l) => `  [${this.id} ${l.stream}] ${l.text}`);
    return `--- last ${lines.length} lines of node ${this.id} (${this.running ? `pid ${this.pid}` : 'not running'}):\n${lines.join('\n')}`;
  }

  private push(stream: 'stdout' | 'stderr', text: string): void {
    let json: Record<string, unknown> | undefined;
    if (text.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          json = parsed as Record<string, unknown>;
        }
      } catch {
        // not JSON: kept as text
      }
    }
    const line: OutputLine = json ? { stream, text, json } : { stream, text };
    this.lines.push(line);
    if (json?.msg === 'listening' && this.listeningLine === undefined) this.listeningLine = line;
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
  }

  private note(text: string): void {
    this.push('stderr', text);
  }
}

function collectLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', function streamOnData(chunk: string) {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).replace(/\r$/, '');
      buffered = buffered.slice(newline + 1);
      if (line.length > 0) onLine(line);
    }
  });
  stream.on('end', function streamOnEnd() {
    if (buffered.length > 0) onLine(buffered);
    buffered = '';
  });
}

/**
 * Starts a node (in a fresh temp data dir unless `data` is given), waits until it
 * listens, and registers its teardown on `t`.
 */
export async function startNode(t: Teardownable, options: NodeOptions): Promise<NodeProcess> {
  const data = options.data ?? await tempDataDir(t, options.id);
  const node = new NodeProcess({ ...options, data });
  // tap runs teardowns last-in first-out: the process dies before its data dir is removed.
  t.teardown(() => node.destroy());
  await node.start();
  return node;
}

/**
 * Prints the tail of every node's output to stderr when `t` ends failing, so an assertion
 * that fails after all the waits still comes with the nodes' side of the story. Register it
 * after the nodes start: tap runs teardowns last-in first-out, so it runs before they stop.
 */
export function dumpOnFailure(t: Teardownable & { passing(): boolean }, nodes: () => readonly NodeProcess[]): void {
  t.teardown(() => {
    if (!t.passing()) console.error(nodes().map((node) => node.tail(60)).join('\n'));
  });
}
