/**
 * A child process under the harness's control: its output read line by line (always
 * drained, so a chatty child never blocks on a full pipe), waits for a line with a
 * deadline, request/response over the IPC channel, peak RSS from `/proc`, and a stop
 * that escalates from SIGTERM to SIGKILL. Every child is started with the loopback guard
 * preloaded (see `loopback-only.ts`), so nothing it does can leave 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { wallClockMs } from './wall-clock.js';

/** How to start a child. */
export interface ChildOptions {
  /** Shown in errors and progress. */
  readonly name: string;
  /** The script node runs (a path). */
  readonly script: string;
  readonly args?: readonly string[];
  /** Open an IPC channel for `request()`. [default false] */
  readonly ipc?: boolean;
  readonly cwd?: string;
  /** Options for node itself, before the script (`--cpu-prof` …). */
  readonly execArgv?: readonly string[];
}

/** A line the child printed, and when the harness read it. */
export interface ChildLine {
  readonly line: string;
  /** Harness `wallClockMs()` when the line was read. */
  readonly at: number;
}

/** How the child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const KEEP_LINES = 200;

/** Children still running: killed if the harness exits first, so no node outlives a run. */
const running = new Set<ChildProcess>();
process.once('exit', function harnessOnExit() {
  for (const proc of running) proc.kill('SIGKILL');
});
const GUARD_URL = new URL('./loopback-only.js', import.meta.url).href;

/** A running child process. */
export class ChildHandle {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Harness `wallClockMs()` just before the spawn. */
  readonly startedAt: number;
  /** Resolves when the child has exited. */
  readonly exited: Promise<ChildExit>;
  private exit: ChildExit | null = null;
  private readonly recent: ChildLine[] = [];
  private readonly lineWaiters = new Set<(entry: ChildLine) => void>();
  private readonly replies = new Map<number, (reply: unknown) => void>();
  private nextRequestId = 1;

  private constructor(options: ChildOptions) {
    this.name = options.name;
    this.startedAt = wallClockMs();
    this.proc = spawn(process.execPath, [...(options.execArgv ?? []), '--import', GUARD_URL, options.script, ...(options.args ?? [])], {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    });
    running.add(this.proc);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        running.delete(this.proc);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.childOnLine(line));
    }
    this.proc.on('message', (message) => this.childOnMessage(message));
  }

  /** Spawns `node --import <loopback guard> script ...args`. */
  static start(options: ChildOptions): ChildHandle {
    return new ChildHandle(options);
  }

  /** The process id. */
  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.name}: not spawned`);
    return this.proc.pid;
  }

  /**
   * Resolves with the first line (already printed or still to come) that `matches`;
   * rejects when the deadline passes or the child exits first, quoting its last lines.
   */
  waitForLine(matches: (line: string) => boolean, timeoutMs: number): Promise<ChildLine> {
    const seen = this.recent.find((entry) => matches(entry.line));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const onLine = (entry: ChildLine): void => {
        if (!matches(entry.line)) return;
        settle();
        resolve(entry);
      };
      const timer = setTimeout(() => {
        settle();
        reject(this.failure(`no expected line within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = (exit: ChildExit): void => {
        settle();
        reject(this.failure(`exited (code ${exit.code}, signal ${exit.signal}) before the expected line`));
      };
      const settle = (): void => {
        clearTimeout(timer);
        this.lineWaiters.delete(onLine);
        this.proc.off('exit', onExitListener);
      };
      const onExitListener = (code: number | null, signal: NodeJS.Signals | null): void => onExit({ code, signal });
      this.lineWaiters.add(onLine);
      if (this.exit) onExit(this.exit);
      else this.proc.once('exit', onExitListener);
    });
  }

  /** Sends `message` over IPC and resolves with the child's reply (which echoes `id`). */
  request<T>(message: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    const id = this.nextRequestId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(this.failure(`no reply to ${JSON.stringify(message)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.replies.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply as T);
      });
      this.proc.send({ ...message, id });
    });
  }

  /** Peak resident set size in bytes (`VmHWM`), or `null` once the process is gone. */
  peakRssBytes(): number | null {
    return readStatusKb(this.pid, 'VmHWM');
  }

  /** Resident set size now in bytes (`VmRSS`), or `null` once the process is gone. */
  rssBytes(): number | null {
    return readStatusKb(this.pid, 'VmRSS');
  }

  /** Anonymous resident memory in bytes (`RssAnon`: the heap and native allocations, not mapped files), or `null`. */
  rssAnonBytes(): number | null {
    return readStatusKb(this.pid, 'RssAnon');
  }

  /** Restarts the peak-RSS watermark at the current RSS (Linux `clear_refs` 5); false if refused. */
  resetPeakRss(): boolean {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<ChildExit> {
    if (this.exit) return this.exit;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** The child's last lines of output, for error messages. */
  tail(lines = 20): string {
    return this.recent
      .slice(-lines)
      .map((entry) => `  ${this.name}| ${entry.line}`)
      .join('\n');
  }

  private failure(what: string): Error {
    return new Error(`${this.name}: ${what}\n${this.tail()}`);
  }

  private childOnLine(line: string): void {
    const entry = { line, at: wallClockMs() };
    this.recent.push(entry);
    if (this.recent.length > KEEP_LINES) this.recent.shift();
    for (const waiter of [...this.lineWaiters]) waiter(entry);
  }

  private childOnMessage(message: unknown): void {
    const id = (message as { id?: unknown } | null)?.id;
    if (typeof id !== 'number') return;
    const reply = this.replies.get(id);
    this.replies.delete(id);
    reply?.(message);
  }
}

/** A `kB` field of `/proc/<pid>/status` in bytes, or `null` if the process is gone. */
function readStatusKb(pid: number, field: string): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Parses a line as JSON, or `null` if it is not a JSON object (pino lines are). */
export function parseJsonLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}
