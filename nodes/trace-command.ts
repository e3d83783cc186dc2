/**
 * `troupe trace <node-url> <correlationId>`: one workflow across the cluster, as the node
 * at that URL tells it (`GET /workflow/:correlationId`): its events as a tree of causes in
 * causal order — each with the node it comes from, its clock, its cause, what it made the
 * actors do and which nodes hold it — then, in words, what is still waiting where.
 */
import type { Transition, WorkflowView } from '../inspector/feed.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { ClusterReader } from '../runtime/cluster-reader.js';
import type { StoryEvent } from '../runtime/workflow-story.js';
import { Progress } from './progress.js';
import { clockText } from './status-command.js';
import { textTable } from './text-table.js';
import { adminToken, nodeUrl, parseVerb, timeoutFlag } from './verb-args.js';

/** The synopsis of `troupe trace`. */
export const TRACE_USAGE = 'troupe trace <node-url> <correlationId> [--timeout MS] [--token T]';

/** `troupe trace` arguments. */
export interface TraceArgs {
  readonly url: string;
  readonly correlationId: string;
  readonly timeoutMs: number;
  /** The cluster's admin token. */
  readonly token: string | undefined;
}

/**
 * Reads the arguments of `troupe trace` (those after `trace`).
 * @throws TroupeError `TROUPE_BAD_FLAGS` on a missing URL or id, an unknown flag, or a bad timeout.
 */
export function parseTraceArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): TraceArgs {
  const { values, positionals } = parseVerb(argv, 'trace', { timeout: { type: 'string', default: '10000' } });
  const [url, correlationId, ...rest] = positionals;
  if (correlationId === undefined || correlationId === '') throw new TroupeError('TROUPE_BAD_FLAGS', 'trace: a correlation id is required after the node URL');
  if (rest.length > 0) throw new TroupeError('TROUPE_BAD_FLAGS', `trace: unexpected argument ${rest[0]}`);
  return { url: nodeUrl(url, 'trace'), correlationId, timeoutMs: timeoutFlag(values.timeout as string, 'trace'), token: adminToken(values, 'trace', env) };
}

/**
 * Runs `troupe trace`: asks the node for the workflow and prints it to `out`.
 * @throws TroupeError `TROUPE_NOT_FOUND` when no node reached knows anything of the id;
 *   `TROUPE_NODE_UNREACHABLE` when the node does not answer.
 */
export async function traceCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const args = parseTraceArgs(argv);
  const progress = new Progress();
  progress.show(`asking ${args.url} for workflow ${args.correlationId} across the cluster`);
  const reader = new ClusterReader(args.url, { timeoutMs: args.timeoutMs, token: args.token });
  const view = await reader.get<WorkflowView>(args.url, `/workflow/${encodeURIComponent(args.correlationId)}`).finally(() => progress.done());
  if (view.events.length === 0 && view.pending.every((item) => item.kind === 'unreachable')) {
    const asked = view.nodes.filter((node) => node.reachable).map((node) => node.id);
    throw new TroupeError('TROUPE_NOT_FOUND', `nothing is known of workflow ${args.correlationId} on ${asked.join(', ') || 'any node'}`);
  }
  out.write(`${renderWorkflow(view).join('\n')}\n`);
}

/** The report of `troupe trace`, as lines. */
export function renderWorkflow(view: WorkflowView): string[] {
  const answered = view.nodes.filter((node) => node.reachable).map((node) => node.id);
  const lines = [
    `workflow ${view.correlationId}: ${view.events.length} event${view.events.length === 1 ? '' : 's'}, ` +
      `from ${answered.length} of ${view.nodes.length} nodes (${answered.join(', ')})`,
    '',
  ];
  const rows = causeTree(view.events).map(({ event, prefix }) => [
    `${prefix}${event.type}`,
    event.id,
    clockText(event.vc),
    event.causationId ?? '-',
    event.heldBy.join(','),
    event.transitions.map(transitionText).join('; '),
  ]);
  lines.push(...textTable(['event', 'id', 'clock', 'cause', 'held by', 'transitions'], rows));
  lines.push('');
  if (view.pending.length === 0) {
    lines.push(`nothing pending: every node that answered holds all ${view.events.length} events`);
  } else {
    lines.push('pending:');
    for (const item of view.pending) lines.push(`  ${item.text}`);
  }
  return lines;
}

/**
 * The events as a tree of causes, depth first, siblings in causal order, each with the
 * prefix that draws its branch (`├─ `, `│  └─ `). An event whose cause is not among them
 * (or has none) is a root.
 */
export function causeTree(events: readonly StoryEvent[]): { event: StoryEvent; prefix: string }[] {
  const ids = new Set(events.map((e) => e.id));
  const children = new Map<string, StoryEvent[]>();
  const roots: StoryEvent[] = [];
  for (const event of events) {
    const cause = event.causationId;
    if (cause === null || cause === event.id || !ids.has(cause)) roots.push(event);
    else children.set(cause, [...(children.get(cause) ?? []), event]);
  }
  const out: { event: StoryEvent; prefix: string }[] = [];
  const walk = (event: StoryEvent, indent: string, branch: string): void => {
    out.push({ event, prefix: indent + branch });
    const kids = children.get(event.id) ?? [];
    const below = indent + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
    kids.forEach((kid, i) => walk(kid, below, i === kids.length - 1 ? '└─ ' : '├─ '));
  };
  for (const root of roots) walk(root, '', '');
  return out;
}

/** `payment[o-1]: idle → captured`. */
function transitionText(t: Transition): string {
  return `${t.service}${t.key === null ? '' : `[${t.key}]`}: ${stateText(t.from)} → ${stateText(t.to)}`;
}

/** A state value as text: `captured`, `shipping.packing` for nested states. */
function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '(none)';
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([key, inner]) => (inner === null || inner === undefined || (typeof inner === 'object' && Object.keys(inner).length === 0) ? key : `${key}.${stateText(inner)}`))
      .join('|');
  }
  return String(value);
}
