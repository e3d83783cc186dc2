#!/usr/bin/env node
/**
 * The `troupe` command.
 *
 * - `troupe node …` runs one node in this very process, so a signal sent to this pid
 *   reaches the node: SIGTERM/SIGINT stop it cleanly.
 * - `troupe cluster …` starts an app's nodes as child processes on loopback.
 * - `troupe status|trace|tail <node-url> …` read a running cluster through a node's admin API
 *   (`tail` through its client WebSocket); `troupe publish` publishes one event through it;
 *   `troupe forget` retires a stopped node's id for good through it.
 * - `troupe chaos …` runs an app's nodes under injected faults and checks them (`chaos/`).
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { isTroupeError, TroupeError, type TroupeErrorCode } from '../protocol/troupe-error.js';
import { startNode } from '../runtime/node.js';
import { FORGET_USAGE, forgetCommand } from './forget-command.js';
import { CHAOS_USAGE, parseChaosArgs } from './chaos/chaos-args.js';
import { chaosCommand } from './chaos/chaos-run.js';
import { runCluster } from './cluster.js';
import { CLUSTER_USAGE, parseClusterArgs } from './cluster-plan.js';
import { loadApp } from './load-app.js';
import { tuneHeapForNode } from './heap-tuning.js';
import { loadIdentity } from './key-files.js';
import { KEYS_USAGE, keysCommand } from './keys-command.js';
import { NODE_USAGE, parseNodeFlags } from './node-flags.js';
import { nodeWants, placedServices } from './placed-services.js';
import { PUBLISH_USAGE, publishCommand } from './publish-command.js';
import { STATUS_USAGE, statusCommand } from './status-command.js';
import { TAIL_USAGE, tailCommand } from './tail-command.js';
import { TRACE_USAGE, traceCommand } from './trace-command.js';

const USAGE = `usage: troupe <command> [flags]

commands:
  node      run one node in this process
  cluster   run an app's nodes as a local cluster
  status    the cluster as reached from one node: nodes, links, outboxes, buffers
  trace     one workflow across the cluster, and what of it waits where
  tail      follow one node's log live
  publish   publish one event through a node
  forget    retire a stopped node's id for good: its clock entries leave new events, its links are refused
  chaos     run an app's nodes under injected faults and check what they hold
  keys      create or show a node's key pair (its trust list line)

${NODE_USAGE}

usage: ${CLUSTER_USAGE}
usage: ${STATUS_USAGE}
usage: ${TRACE_USAGE}
usage: ${TAIL_USAGE}
usage: ${PUBLISH_USAGE}
usage: ${FORGET_USAGE}
usage: ${CHAOS_USAGE}
usage: ${KEYS_USAGE}`;

/** Exit codes of failures that are not usage errors (those exit 2). */
const EXIT_CODES: Partial<Record<TroupeErrorCode, number>> = {
  TROUPE_NODE_UNREACHABLE: 1,
  TROUPE_NOT_FOUND: 1,
};

function readFlagFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new TroupeError('TROUPE_BAD_FLAGS', `${flag} ${path}: ${(cause as Error).message}`, { cause });
  }
}

async function runNode(argv: string[]): Promise<void> {
  const flags = parseNodeFlags(argv);
  const app = await loadApp(flags.app);
  const services = placedServices(app, flags.id, flags.services ?? app.placement[flags.id] ?? []);
  const identity = flags.keys && loadIdentity(flags.id, flags.keys.key, flags.keys.trust);
  const log = pino({ base: { node: flags.id } });
  const node = await startNode({
    id: flags.id,
    cluster: flags.cluster,
    secret: flags.secret,
    identity,
    dataDir: flags.data,
    host: flags.host,
    port: flags.port,
    services,
    app,
    peers: flags.peers,
    relaxed: flags.relaxed,
    inspect: flags.inspect,
    chaos: flags.chaos,
    passivateAfterMs: flags.passivateAfterMs,
    fabric: flags.fabric,
    want: nodeWants(app, flags.id, flags.want),
    retention: flags.retention,
    admin: { token: flags.adminToken, hosts: flags.adminHosts, insecure: flags.insecureAdmin },
    log,
    tls: flags.tls && {
      cert: readFlagFile(flags.tls.cert, '--tls-cert'),
      key: readFlagFile(flags.tls.key, '--tls-key'),
      ca: flags.tls.ca === undefined ? undefined : readFlagFile(flags.tls.ca, '--tls-ca'),
    },
  });
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'stopping');
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/** `troupe tail` until Ctrl-C (or SIGTERM), which ends it cleanly. */
async function runTail(argv: string[]): Promise<void> {
  const stop = new AbortController();
  function processOnSignal(): void {
    stop.abort();
  }
  process.once('SIGINT', processOnSignal);
  process.once('SIGTERM', processOnSignal);
  try {
    await tailCommand(argv, stop.signal);
  } finally {
    process.off('SIGINT', processOnSignal);
    process.off('SIGTERM', processOnSignal);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'node') {
    tuneHeapForNode();
    return runNode(rest);
  }
  if (command === 'cluster') return runCluster(parseClusterArgs(rest));
  if (command === 'status') return statusCommand(rest);
  if (command === 'trace') return traceCommand(rest);
  if (command === 'tail') return runTail(rest);
  if (command === 'publish') return publishCommand(rest);
  if (command === 'forget') return forgetCommand(rest);
  if (command === 'chaos') return chaosCommand(parseChaosArgs(rest));
  if (command === 'keys') return keysCommand(rest);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  throw new TroupeError('TROUPE_BAD_FLAGS', `unknown command ${command}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (isTroupeError(err)) {
    process.stderr.write(`troupe: ${err.message} (${err.code})\n`);
    if (err.code === 'TROUPE_BAD_FLAGS') process.stderr.write(`\n${USAGE}\n`);
    process.exit(EXIT_CODES[err.code] ?? 2);
  }
  process.stderr.write(`troupe: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
