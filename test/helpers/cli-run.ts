/**
 * Runs the `troupe` CLI to completion, for tests of what it refuses: exit code, stdout and
 * stderr. A run that does not end is killed after a timeout, and with the test process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CLI, REPO_ROOT } from './node-process.js';

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

