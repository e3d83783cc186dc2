/**
 * How `troupe cluster` prints. Every line starts with where it comes from — a node id, or
 * one of the launcher's own labels — padded to one width and painted in that source's
 * colour, then `│`. What a node prints goes through pino-pretty: a pino JSON line becomes
 * `INFO: link up {"peer":"n2"}` (an error's fields and stack on the lines after it, each
 * prefixed too), anything else passes through as it is. An event of the cluster's log
 * becomes one line: origin, type, short correlation id and its data.
 *
 * These are pure functions over strings: the launcher decides where the text goes, and
 * whether to colour it (`shouldColour`).
 */
import { prettyFactory } from 'pino-pretty';

/**
 * ANSI SGR parameters given to node ids in turn (cyan, magenta, blue, green, then their
 * bright forms); they repeat past eight nodes. Yellow and red are left for warnings and
 * errors.
 */
export const NODE_COLOURS: readonly string[] = ['36', '35', '34', '32', '96', '95', '94', '92'];

/** Where a line comes from: its label and the SGR parameters it is painted with. */
export interface Source {
  readonly label: string;
  readonly sgr: string;
}

/** How lines are laid out. */
export interface LineStyle {
  /** Whether to emit ANSI colour codes. */
  readonly colour: boolean;
  /** The width labels are padded to, so the `│` column lines up. */
  readonly width: number;
}

/**
 * One line per record; the prefix already says which node it is, and a node's `node`
 * field (its pino `base`) names that node.
 */
const PRETTY = { ignore: 'pid,hostname,time,node', singleLine: true } as const;
const prettyPlain = prettyFactory({ ...PRETTY, colorize: false });
const prettyColour = prettyFactory({ ...PRETTY, colorize: true });

/** Width the event type is padded to, so the correlation ids of most events line up. */
const TYPE_WIDTH = 18;
/** Characters of an event's data shown on its line. */
const DATA_WIDTH = 100;

/**
 * Whether to colour what goes to `out`: only a terminal, and never when `NO_COLOR` is
 * set to a non-empty value (https://no-color.org).
 */
export function shouldColour(out: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  return (out as { isTTY?: boolean }).isTTY === true && (env.NO_COLOR ?? '') === '';
}

/** `text` wrapped in the SGR parameters `sgr` when `colour` is on; `text` as is otherwise. */
export function paint(text: string, sgr: string, colour: boolean): string {
  return colour && text !== '' ? `\x1b[${sgr}m${text}\x1b[0m` : text;
}

/** `text` prefixed with its source; each line of a multi-line text gets the prefix. */
export function prefixed(source: Source, text: string, style: LineStyle): string {
  const prefix = `${paint(source.label.padEnd(style.width), source.sgr, style.colour)} ${paint('│', '2', style.colour)} `;
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/** `text` marked as pino-pretty marks a warning (`WARN: …`, yellow) or an error (`ERROR: …`, red). */
export function highlight(level: 'warn' | 'error', text: string, colour: boolean): string {
  return level === 'warn' ? paint(`WARN: ${text}`, '33', colour) : paint(`ERROR: ${text}`, '31', colour);
}

/** One line a node printed, ready to show: pino-pretty's rendering of it, every line prefixed. */
export function formatChildLine(source: Source, line: string, style: LineStyle): string {
  const pretty = (style.colour ? prettyColour : prettyPlain)(line);
  return prefixed(source, pretty.replace(/\n$/, ''), style);
}

/** The fields of a logged event that one line of progress shows. */
export interface EventSummary {
  readonly origin: string;
  readonly type: string;
  readonly correlationId: string;
  readonly data: unknown;
}

/**
 * One event as one line: origin node (in its colour), type, `#` and the correlation id's
 * first 8 characters, then its data as compact JSON cut to 100 characters
 * (`n1 OrderPlaced #V1StGXR8 {"orderId":"o-1"}`).
 */
export function formatEvent(event: EventSummary, originSgr: string, colour: boolean): string {
  const data = compactData(event.data);
  return [
    paint(event.origin, originSgr, colour),
    paint(event.type.padEnd(TYPE_WIDTH), '1', colour),
    paint(`#${event.correlationId.slice(0, 8)}`, '2', colour),
    ...(data === '' ? [] : [data]),
  ].join(' ');
}

/** An event's data as compact JSON cut to `max` characters, the last being `…`; '' for none. */
export function compactData(data: unknown, max = DATA_WIDTH): string {
  const text = data === undefined || data === null ? '' : (JSON.stringify(data) ?? '');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
