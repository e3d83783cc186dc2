/**
 * How `troupe cluster` prints. Every line starts with where it comes from — a node id, or
 * one of the launcher's own labels — padded to one width and painted in that source's
 * colour, then `│`. A node's pino JSON line becomes readable text (`n1 │ link up
 * peer=n2`), with warnings and errors marked and highlighted; anything else a node prints
 * passes through unchanged. An event of the cluster's log becomes one line: origin, type,
 * short correlation id and a compact summary of its data.
 *
 * These are pure functions over strings: the launcher decides where the text goes, and
 * whether to colour it (`shouldColour`).
 */

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

/** A node's pino log line: its level (number or label), message and any other fields. */
interface PinoRecord {
  readonly level: number | string;
  readonly msg?: unknown;
  readonly [field: string]: unknown;
}

/**
 * Pino's own fields, which the prefix or the level marker already say. A `node` field is
 * dropped too when it names the node the line is prefixed with.
 */
const PINO_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

const LEVEL_NUMBERS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

const WARN_SGR = '33';
const ERROR_SGR = '31';
const FATAL_SGR = '1;31';
const DIM_SGR = '2';
const BOLD_SGR = '1';

/** Width the event type is padded to, so the correlation ids of most events line up. */
const TYPE_WIDTH = 18;

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
  const prefix = `${paint(source.label.padEnd(style.width), source.sgr, style.colour)} ${paint('│', DIM_SGR, style.colour)} `;
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/** `text` marked as a warning (`WARN …`, yellow) or an error (`ERROR …`, red). */
export function highlight(level: 'warn' | 'error', text: string, colour: boolean): string {
  return level === 'warn'
    ? paint(`WARN ${text}`, WARN_SGR, colour)
    : paint(`ERROR ${text}`, ERROR_SGR, colour);
}

/**
 * One line a node printed, ready to show: a pino JSON record becomes `msg key=value …`
 * (warnings and errors marked, an error's stack on the lines after it); anything else is
 * shown as it is. The result may span several lines, each prefixed.
 */
export function formatChildLine(source: Source, line: string, style: LineStyle): string {
  const record = parsePinoLine(line);
  if (record === undefined) return prefixed(source, line, style);
  const level = typeof record.level === 'number' ? record.level : (LEVEL_NUMBERS[record.level] ?? 30);
  const parts: string[] = [];
  const stacks: string[] = [];
  if (record.msg !== undefined && record.msg !== '') parts.push(String(record.msg));
  for (const [key, value] of Object.entries(record)) {
    if (PINO_FIELDS.has(key) || (key === 'node' && value === source.label)) continue;
    if (isSerializedError(value)) {
      parts.push(`${key}=${formatValue(errorSummary(value))}`);
      if (level >= 50 && typeof value.stack === 'string') stacks.push(...stackFrames(value.stack));
    } else {
      parts.push(`${key}=${formatValue(value)}`);
    }
  }
  const text = parts.join(' ');
  const lines = [levelText(level, text, style.colour), ...stacks.map((frame) => paint(frame, DIM_SGR, style.colour))];
  return prefixed(source, lines.join('\n'), style);
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
 * first characters, then its data (`OrderPlaced #V1StGXR8 orderId=o-1 sku=widget`).
 */
export function formatEvent(event: EventSummary, originSgr: string, colour: boolean): string {
  const summary = summarizeData(event.data);
  return [
    paint(event.origin, originSgr, colour),
    paint(event.type.padEnd(TYPE_WIDTH), BOLD_SGR, colour),
    paint(`#${shortId(event.correlationId)}`, DIM_SGR, colour),
    ...(summary === '' ? [] : [summary]),
  ].join(' ');
}

/**
 * Event data in one short line: an object's fields as `key=value` (nested values as
 * compact JSON), anything else as a value; cut to `max` characters with `…`.
 */
export function summarizeData(data: unknown, max = 100): string {
  if (data === undefined || data === null) return '';
  if (typeof data === 'object' && !Array.isArray(data)) {
    const fields = Object.entries(data).map(([key, value]) => `${key}=${truncate(formatValue(value), 60)}`);
    return truncate(fields.join(' '), max);
  }
  return truncate(formatValue(data), max);
}

/**
 * A value as it appears after `key=`: a plain word as is, a string with spaces, quotes or
 * `=` (or an empty one) quoted as JSON, anything else as compact JSON.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"'=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  return JSON.stringify(value) ?? String(value);
}

/** The first `length` characters of an id (nanoids are 21 long; 8 tell a handful apart). */
export function shortId(id: string, length = 8): string {
  return id.slice(0, length);
}

/** `text` cut to `max` characters, the last being `…` when something was cut. */
function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The record if `line` is a pino JSON line (an object with a `level`), else undefined. */
function parsePinoLine(line: string): PinoRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const level = (parsed as { level?: unknown }).level;
  return typeof level === 'number' || typeof level === 'string' ? (parsed as PinoRecord) : undefined;
}

/** A level's marker and colour: none for info, `DEBUG`/`TRACE` dim, warnings and errors highlighted. */
function levelText(level: number, text: string, colour: boolean): string {
  if (level >= 60) return paint(`FATAL ${text}`, FATAL_SGR, colour);
  if (level >= 50) return highlight('error', text, colour);
  if (level >= 40) return highlight('warn', text, colour);
  if (level >= 30) return text;
  return paint(`${level >= 20 ? 'DEBUG' : 'TRACE'} ${text}`, DIM_SGR, colour);
}

/** What pino's error serializer writes: `{ type, message, stack, code? }`. */
interface SerializedError {
  readonly message: string;
  readonly stack?: unknown;
  readonly code?: unknown;
}

function isSerializedError(value: unknown): value is SerializedError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string' &&
    typeof (value as { stack?: unknown }).stack === 'string'
  );
}

/** `CODE: message`, or the message alone when the error has no code. */
function errorSummary(err: SerializedError): string {
  return typeof err.code === 'string' ? `${err.code}: ${err.message}` : err.message;
}

/** The `at …` lines of a stack; its first lines repeat the message already shown. */
function stackFrames(stack: string): string[] {
  return stack.split('\n').filter((line) => /^\s+at /.test(line));
}
