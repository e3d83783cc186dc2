/**
 * `troupe tail <node-url> [--type T]... [--correlation C] [--from N]`: follows one node's
 * log live, one line per event as that node delivers it, by long-polling `GET /log`.
 * It starts at the end of the log (only new events) unless `--from` says where. A node
 * that stops answering is retried until it answers again; Ctrl-C stops cleanly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TroupeError } from '../protocol/troupe-error.js';
import { ClusterReader } from '../runtime/cluster-reader.js';
import { compactData } from './log-format.js';
import { adminToken, nodeUrl, parseVerb } from './verb-args.js';

/** The synopsis of `troupe tail`. */
export const TAIL_USAGE = 'troupe tail <node-url> [--type T]... [--correlation C] [--from N] [--token T]';

/** How long one `GET /log` waits for new events. */
const WAIT_MS = 10_000;
/** Pause before asking a node that did not answer again. */
const RETRY_MS = 1000;
const PAGE_LIMIT = 1000;

/** `troupe tail` arguments. */
export interface TailArgs {
  readonly url: string;
  /** Event types to show; empty: every type. */
  readonly types: readonly string[];
  readonly correlationId: string | undefined;
  /** The log position to start from; undefined: the end of the log. */
  readonly from: number | undefined;
  /** The cluster's admin token. */
  readonly token: string | undefined;
}

/** One event of `GET /log`, as far as `tail` shows it. */
export interface TailedEvent {
  readonly pos: number;
  readonly id: string;
  readonly type: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly ts: number;
  readonly data: unknown;
}

/**
 * Reads the arguments of `troupe tail` (those after `tail`). `--type` may repeat or list
 * types with commas.
 * @throws TroupeError `TROUPE_BAD_FLAGS` on a missing or bad URL, an unknown flag, or a bad `--from`.
 */
export function parseTailArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): TailArgs {
  const { values, positionals } = parseVerb(argv, 'tail', {
    type: { type: 'string', multiple: true, default: [] },
    correlation: { type: 'string' },
    from: { type: 'string' },
  });
  if (positionals.length > 1) throw new TroupeError('TROUPE_BAD_FLAGS', `tail: one node URL, got ${positionals.length} arguments`);
  const types = (values.type as string[]).flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  const correlationId = values.correlation as string | undefined;
  if (correlationId === '') throw new TroupeError('TROUPE_BAD_FLAGS', 'tail: --correlation must not be empty');
  const rawFrom = values.from as string | undefined;
  if (rawFrom !== undefined && !/^[1-9]\d{0,15}$/.test(rawFrom)) throw new TroupeError('TROUPE_BAD_FLAGS', `tail: --from must be a log position (1 or more), got '${rawFrom}'`);
  return {
    url: nodeUrl(positionals[0], 'tail'),
    types,
    correlationId,
    from: rawFrom === undefined ? undefined : Number(rawFrom),
    token: adminToken(values, 'tail', env),
  };
}

/** Whether `event` passes the filters of `args`. */
export function shown(event: TailedEvent, args: Pick<TailArgs, 'types' | 'correlationId'>): boolean {
  return (args.types.length === 0 || args.types.includes(event.type)) && (args.correlationId === undefined || event.correlationId === args.correlationId);
}

/** One event as one line: `12:03:05.120  #57  n2:57  PaymentCaptured  o-x1-3  ← n2:56  {"orderId":"o-x1-3","amount":40}`. */
export function tailLine(event: TailedEvent): string {
  const time = new Date(event.ts);
  const clock = `${time.toTimeString().slice(0, 8)}.${String(time.getMilliseconds()).padStart(3, '0')}`;
  const data = compactData(event.data);
  return [clock, `#${event.pos}`, event.id, event.type, event.correlationId, `← ${event.causationId ?? '-'}`, ...(data === '' ? [] : [data])].join('  ');
}

/**
 * Runs `troupe tail` until `signal` aborts (the CLI aborts it on SIGINT/SIGTERM).
 * @throws TroupeError `TROUPE_NODE_UNREACHABLE` when the node does not answer at the start.
 */
export async function tailCommand(
  argv: readonly string[],
  signal: AbortSignal,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<void> {
  const args = parseTailArgs(argv);
  const reader = new ClusterReader(args.url, { signal, token: args.token });
  const status = await reader.get<{ id: string; log: { size: number } }>(args.url, '/status');
  let from = args.from ?? status.log.size + 1;
  const filters = [...(args.types.length > 0 ? [`type ${args.types.join('|')}`] : []), ...(args.correlationId === undefined ? [] : [`correlation ${args.correlationId}`])];
  err.write(`following the log of ${status.id} at ${args.url} from position ${from}${filters.length > 0 ? `, only ${filters.join(', ')}` : ''} (Ctrl-C stops)\n`);
  let failing = false;
  while (!signal.aborted) {
    try {
      const page = await reader.get<{ events: TailedEvent[]; next: number }>(args.url, `/log?from=${from}&limit=${PAGE_LIMIT}&wait=${WAIT_MS}`, WAIT_MS + 5000);
      if (failing) err.write(`${status.id} answers again\n`);
      failing = false;
      for (const event of page.events) if (shown(event, args)) out.write(`${tailLine(event)}\n`);
      from = page.next;
    } catch (error) {
      if (signal.aborted) break;
      if (!failing) err.write(`${status.id} does not answer (${(error as Error).message}); retrying every ${RETRY_MS / 1000} s\n`);
      failing = true;
      await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
    }
  }
}
