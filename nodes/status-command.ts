/**
 * `troupe status <node-url>`: the cluster as reached from one node (`cluster-reader.ts`),
 * as two tables: the nodes (log size, causal buffer, dead letters, clock) and every link
 * as each end sees it (up, down or cut, since when, and how many events its outbox holds
 * for the other end).
 */
import type { PeerStatus } from '../inspector/feed.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { ClusterReader, type ReachedNode } from '../runtime/cluster-reader.js';
import { clockTime } from '../runtime/workflow-story.js';
import { adminToken, nodeUrl, parseVerb, timeoutFlag } from './verb-args.js';
import { Progress } from './progress.js';
import { textTable } from './text-table.js';

/** The synopsis of `troupe status`. */
export const STATUS_USAGE = 'troupe status <node-url> [--timeout MS] [--token T]';

/** A node as `troupe status` shows it: what the walk found, and its dead letters. */
export interface StatusRow extends ReachedNode {
  /** How many dead letters it holds; undefined when it could not tell. */
  readonly deadLetters?: number;
}

/** `troupe status` arguments. */
export interface StatusArgs {
  readonly url: string;
  readonly timeoutMs: number;
  /** The cluster's admin token. */
  readonly token: string | undefined;
}

/**
 * Reads the arguments of `troupe status` (those after `status`).
 * @throws TroupeError `TROUPE_BAD_FLAGS` on a missing or bad URL, an unknown flag, or a bad timeout.
 */
export function parseStatusArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): StatusArgs {
  const { values, positionals } = parseVerb(argv, 'status', { timeout: { type: 'string', default: '2000' } });
  if (positionals.length > 1) throw new TroupeError('TROUPE_BAD_FLAGS', `status: one node URL, got ${positionals.length} arguments`);
  return { url: nodeUrl(positionals[0], 'status'), timeoutMs: timeoutFlag(values.timeout as string, 'status'), token: adminToken(values, 'status', env) };
}

/** Runs `troupe status`: reaches the cluster and prints its tables to `out`. */
export async function statusCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const args = parseStatusArgs(argv);
  const progress = new Progress();
  let reached = 0;
  const reader = new ClusterReader(args.url, {
    timeoutMs: args.timeoutMs,
    token: args.token,
    onNode: (node) => progress.show(`reaching the cluster from ${args.url}: ${++reached} found (${node.id})`),
  });
  const nodes = await reader.nodes();
  progress.show(`asking ${nodes.length} nodes for their dead letters`);
  const rows = await Promise.all(
    nodes.map(async (node): Promise<StatusRow> => {
      if (!node.reachable) return node;
      try {
        return { ...node, deadLetters: (await reader.get<unknown[]>(node.admin, '/dlq')).length };
      } catch {
        return node;
      }
    }),
  );
  progress.done();
  out.write(`${renderStatus(args.url, rows).join('\n')}\n`);
}

/** The report of `troupe status`, as lines. Times are local `HH:MM:SS` (`time`). */
export function renderStatus(from: string, rows: readonly StatusRow[], time: (ms: number) => string = clockTime): string[] {
  const answering = rows.filter((row) => row.status !== undefined);
  const lines = [`${rows.length} node${rows.length === 1 ? '' : 's'} reached from ${from}, ${answering.length} answering`, ''];
  lines.push(
    ...textTable(
      ['node', 'admin', 'services', 'log', 'buffered', 'dlq', 'clock'],
      answering.map((row) => {
        const s = row.status!;
        const services = s.services.length === 0 ? '(relay only)' : s.services.join(',');
        return [
          row.id + (s.recovering ? ' (recovering)' : ''),
          row.admin,
          services,
          String(s.log.size),
          String(s.log.buffered),
          row.deadLetters === undefined ? '?' : String(row.deadLetters),
          clockText(s.vc),
        ];
      }),
    ),
  );
  for (const row of rows) {
    if (row.status === undefined) lines.push(`${row.id} (${row.admin || 'admin URL unknown'}) did not answer: ${row.error ?? 'no answer'}`);
  }
  const links = rows.flatMap((row) => (row.status?.peers ?? []).map((peer) => linkRow(row.id, peer, rows, time)));
  lines.push('');
  if (links.length === 0) lines.push('no links');
  else lines.push(...textTable(['link', 'state', 'since', 'outbox'], links));
  return lines;
}

/** One end's view of a link: `n2 → n3  cut by n3  12:03:05  4`. */
function linkRow(from: string, peer: PeerStatus, rows: readonly StatusRow[], time: (ms: number) => string): string[] {
  const cutByPeer = rows.find((row) => row.id === peer.id)?.status?.peers.some((p) => p.id === from && p.cut === true) === true;
  let state = peer.connected ? 'up' : 'down';
  if (peer.cut === true) state = `cut by ${from}`;
  else if (cutByPeer && !peer.connected) state = `cut by ${peer.id}`;
  return [`${from} → ${peer.id}`, state, peer.since > 0 ? time(peer.since) : '-', outboxText(peer)];
}

/** An outbox depth, with the catch-up's pace and time to go while it drains: `41200 left, 52000/s, ~1s`. */
export function outboxText(peer: Pick<PeerStatus, 'outbox' | 'catchUp'>): string {
  if (peer.catchUp === undefined) return String(peer.outbox);
  return `${peer.outbox} left, ${peer.catchUp.rate}/s, ~${Math.ceil(peer.catchUp.etaMs / 1000)}s`;
}

/** A clock as `n1:4 n2:6`, by node id; `-` when empty. */
export function clockText(vc: Readonly<Record<string, number>>): string {
  const nodes = Object.keys(vc).sort();
  return nodes.length === 0 ? '-' : nodes.map((node) => `${node}:${vc[node]}`).join(' ');
}
