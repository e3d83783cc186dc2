/**
 * Runs the `troupe` CLI to completion, for tests of what it refuses or reports: exit code,
 * stdout and stderr; or starts a long-running one (`troupe tail`) whose output a test
 * watches as it comes. A run that does not end is killed after a timeout, and with the
 * test process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CLI, REPO_ROOT, type Teardownable } from './node-process.js';

/** What `troupe …` printed and how it ended, for CLI tests. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to completion (killed after `timeout` ms) and collects its output. */
export async function runCli(args: readonly string[], timeout = 20_000): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
  try {
    // 'close', not 'exit': by then stdout and stderr are fully read.
    const [code, signal] = await once(child, 'close') as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(timer);
    process.off('exit', killOnExit);
  }
}


/** A CLI process still running: its output so far, and how it ends. */
export interface RunningCli {
  readonly pid: number | undefined;
  stdout(): string;
  stderr(): string;
  /** Sends a signal (SIGINT is Ctrl-C). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves once it has ended and its output is read. */
  readonly ended: Promise<CliRun>;
}

/** Starts the CLI and returns at once; it is killed in `t`'s teardown if still running. */
export function startCli(t: Teardownable, args: readonly string[]): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const ended = (once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>).then(([code, signal]) => {
    process.off('exit', killOnExit);
    return { code, signal, stdout, stderr };
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { pid: child.pid, stdout: () => stdout, stderr: () => stderr, kill: (signal) => void child.kill(signal), ended };
}
