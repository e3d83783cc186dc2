/**
 * The arguments the verbs that read a running cluster share (`troupe status`, `trace`,
 * `tail`): a `<node-url>` naming one node's admin API, as `http://127.0.0.1:7401` or
 * `127.0.0.1:7401` for short, the cluster's admin token (`--token`, else
 * `TROUPE_ADMIN_TOKEN`), and flags parsed strictly. Every mistake is a
 * `TROUPE_BAD_FLAGS` that says what is wrong.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TroupeError } from '../protocol/troupe-error.js';

/** What a verb's flags parse to. */
export interface VerbArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

/**
 * `parseArgs` with positionals allowed and `--token` taken; an unknown or malformed flag
 * is `TROUPE_BAD_FLAGS`.
 */
export function parseVerb(argv: readonly string[], verb: string, options: NonNullable<ParseArgsConfig['options']>): VerbArgs {
  try {
    return parseArgs({ args: [...argv], options: { ...options, token: { type: 'string' } }, strict: true, allowPositionals: true });
  } catch (cause) {
    const { code, message } = cause as { code?: string; message: string };
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec(message)?.[1] : undefined;
    throw new TroupeError('TROUPE_BAD_FLAGS', `${verb}: ${unknown === undefined ? message : `unknown flag ${unknown}`}`, { cause });
  }
}

/**
 * The admin base URL `raw` names (no trailing slash).
 * @throws TroupeError `TROUPE_BAD_FLAGS` when it is missing, or not an http(s) URL or host:port.
 * @example nodeUrl('127.0.0.1:7401', 'status') // 'http://127.0.0.1:7401'
 */
export function nodeUrl(raw: string | undefined, verb: string): string {
  if (raw === undefined || raw === '') throw new TroupeError('TROUPE_BAD_FLAGS', `${verb}: a node URL is required (e.g. http://127.0.0.1:7401)`);
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TroupeError('TROUPE_BAD_FLAGS', `${verb}: ${raw} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TroupeError('TROUPE_BAD_FLAGS', `${verb}: ${raw} must be an http:// or https:// URL (a node's admin API)`);
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** The value of `--timeout` in ms (1 to 600000). */
export function timeoutFlag(raw: string, verb: string): number {
  const ms = Number(raw);
  if (!/^\d+$/.test(raw) || ms < 1 || ms > 600_000) {
    throw new TroupeError('TROUPE_BAD_FLAGS', `${verb}: --timeout must be from 1 to 600000 ms, got '${raw}'`);
  }
  return ms;
}

/**
 * The admin token to send: `--token`, else `TROUPE_ADMIN_TOKEN`; none when neither is set.
 * @throws TroupeError `TROUPE_BAD_FLAGS` on an empty `--token`.
 */
export function adminToken(values: VerbArgs['values'], verb: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const flag = values.token as string | undefined;
  if (flag === '') throw new TroupeError('TROUPE_BAD_FLAGS', `${verb}: --token must not be empty`);
  return flag ?? (env.TROUPE_ADMIN_TOKEN || undefined);
}
