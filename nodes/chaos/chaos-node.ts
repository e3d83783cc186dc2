/**
 * One node of a chaos cluster as a real child process (`troupe node`), which the fault
 * injector kills, stops, restarts, and whose data dir it wipes or rewinds.
 *
 * The process gets the cluster secret in its environment and no admin token (the cluster
 * is on loopback and its admin API is the harness's). It keeps the port it was given, so
 * peers' reconnects and the proxies reach it again after a restart. Its output is kept in
 * a short ring of lines: the report shows the tail of a node that crashed, and the
 * injector looks in it for the refusal of a duplicate id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The CLI beside this module once built (`dist/nodes/cli.js`). */
const CLI_PATH = fileURLToPath(new URL('../cli.js', import.meta.url));
const KEPT_LINES = 400;
// Generous: on a loaded machine five nodes starting at once take a while.
const START_TIMEOUT_MS = 120_000;

/** How to run one node. */
export interface ChaosNodeSpec {
  readonly id: string;
  readonly port: number;
  readonly dataDir: string;
  /** The app module's absolute path. */
  readonly app: string;
  readonly peers: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Extra `troupe node` flags. */
  readonly extraArgs?: readonly string[];
}

/** A node process that can be killed, paused, restarted and have its disk replaced. */
export class ChaosNode {
  readonly id: string;
  /** The last lines it wrote (stdout and stderr). */
  readonly lines: string[] = [];
  /** Why it went down when nobody stopped it, if it did. */
  crash: string | undefined;
  /** Lines that told of a refused second process with one node id (`TROUPE_PEER_DUPLICATE_ID`). */
  duplicateRefusals = 0;
  /** SIGSTOPped and not yet continued. */
  paused = false;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  private listening = false;

  constructor(readonly spec: ChaosNodeSpec) {
    this.id = spec.id;
  }

  /** `http://127.0.0.1:PORT`, its admin API. */
  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  /** Whether the process runs (it may be paused). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Whether it runs, is not paused, and has said it listens: requests may go to it. */
  get ready(): boolean {
    return this.running && this.listening && !this.paused;
  }

  /** Starts the process and waits until it listens; retries while its port is briefly taken. */
  async start(): Promise<void> {
    await mkdir(this.spec.dataDir, { recursive: true });
    for (let attempt = 1; ; attempt++) {
      const from = this.lines.length;
      try {
        await this.spawnOnce();
        return;
      } catch (err) {
        const inUse = this.lines.slice(from).some((line) => line.includes('EADDRINUSE'));
        if (!inUse || attempt >= 5) throw err;
        await sleep(200 * attempt);
      }
    }
  }

  /**
   * Sends `signal` and waits for the exit (SIGCONT after it if paused, so SIGTERM is
   * heard); SIGKILL if the process outlives `graceMs`.
   */
  async stop(signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    const child = this.child!;
    this.expectingExit = true;
    child.kill(signal);
    if (this.paused && signal !== 'SIGKILL') child.kill('SIGCONT');
    this.paused = false;
    const timer = setTimeout(function graceOver() {
      child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGSTOP: the process is frozen, its sockets stay open. */
  pause(): void {
    if (!this.running) return;
    this.child!.kill('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT. */
  resume(): void {
    if (!this.running) return;
    this.child!.kill('SIGCONT');
    this.paused = false;
  }

  /** Deletes the data dir (the process must be down). */
  async wipe(): Promise<void> {
    await rm(this.spec.dataDir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Copies the data dir to `to` while the process is frozen: a crash image of it. */
  async crashImage(to: string): Promise<void> {
    const wasPaused = this.paused;
    if (!wasPaused) this.pause();
    try {
      await rm(to, { recursive: true, force: true });
      await cp(this.spec.dataDir, to, { recursive: true });
    } finally {
      if (!wasPaused) this.resume();
    }
  }

  /** Replaces the data dir by the image at `from` (the process must be down). */
  async restoreImage(from: string): Promise<void> {
    await this.wipe();
    await cp(from, this.spec.dataDir, { recursive: true });
  }

  /** The last `n` lines, labelled, for a report. */
  tail(n = 20): string[] {
    return this.lines.slice(-n).map((line) => `[${this.id}] ${line}`);
  }

  private spawnOnce(): Promise<void> {
    const s = this.spec;
    const args = [CLI_PATH, 'node', '--id', s.id, '--port', String(s.port), '--data', s.dataDir, '--app', s.app,
      ...s.peers.flatMap((peer) => ['--peer', peer]), ...(s.extraArgs ?? [])];
    this.expectingExit = false;
    this.listening = false;
    this.paused = false;
    const child = spawn(process.execPath, args, { env: s.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const node = this;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${s.id} did not listen within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      function childOnLine(line: string): void {
        node.lines.push(line);
        if (node.lines.length > KEPT_LINES) node.lines.splice(0, node.lines.length - KEPT_LINES);
        if (line.includes('TROUPE_PEER_DUPLICATE_ID')) node.duplicateRefusals++;
        if (!node.listening && line.includes('"msg":"listening"')) {
          node.listening = true;
          clearTimeout(timer);
          resolve();
        }
      }
      createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', childOnLine);
      createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', childOnLine);
      this.exited = new Promise<void>((resolveExit) => {
        child.once('exit', function childOnExit(code, signal) {
          clearTimeout(timer);
          if (!node.listening) reject(new Error(`${s.id} exited before listening (code ${code}, signal ${signal})`));
          else if (!node.expectingExit && node.crash === undefined) node.crash = `${s.id} exited on its own (code ${code}, signal ${signal})`;
          resolveExit();
        });
      });
    });
  }
}
