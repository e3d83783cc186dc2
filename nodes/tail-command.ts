/**
 * `troupe tail <node-url> [--type T]... [--correlation C] [--from N]`: follows one node's
 * log live, one line per event as that node delivers it, through the node's `/client`
 * WebSocket (`troupe/client`'s `subscribe`): the node filters, and sends within the
 * window this process reads. It starts at the end of the log (only new events) unless
 * `--from` says where. A dropped connection is redialled and the subscription resumes
 * where it stopped, with no event missed or shown twice; Ctrl-C stops cleanly.
 */
import { connect } from '../client/troupe-client.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { compactData } from './log-format.js';
import { adminToken, nodeUrl, parseVerb } from './verb-args.js';

/** The synopsis of `troupe tail`. */
export const TAIL_USAGE = 'troupe tail <node-url> [--type T]... [--correlation C] [--from N] [--token T]';

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

/** One event of the log, as far as `tail` shows it. */
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
  let name = args.url;
  const client = await connect(args.url, {
    token: args.token,
    onConnection(connected, reason) {
      err.write(connected ? `${name} answers again\n` : `${name} does not answer (${reason}); retrying\n`);
    },
  });
  name = client.node;
  function tailOnAbort(): void {
    void client.close();
  }
  signal.addEventListener('abort', tailOnAbort, { once: true });
  if (signal.aborted) tailOnAbort();
  const filters = [...(args.types.length > 0 ? [`type ${args.types.join('|')}`] : []), ...(args.correlationId === undefined ? [] : [`correlation ${args.correlationId}`])];
  const start = args.from === undefined ? 'its end' : `position ${args.from}`;
  err.write(`following the log of ${name} at ${args.url} from ${start}${filters.length > 0 ? `, only ${filters.join(', ')}` : ''} (Ctrl-C stops)\n`);
  try {
    for await (const event of client.subscribe({ types: args.types, correlationId: args.correlationId, from: args.from })) out.write(`${tailLine(event)}\n`);
  } finally {
    signal.removeEventListener('abort', tailOnAbort);
    await client.close();
  }
}
