/**
 * The flags of `troupe node`, checked once here so that the node itself can trust them.
 */
import { parseArgs } from 'node:util';
import { NODE_ID_PATTERN } from '../protocol/envelope.js';
import { isPattern } from '../protocol/interest-pattern.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { defaultKeyFile } from './key-files.js';
import type { FabricOptions } from '../runtime/fabric-options.js';
import type { RetentionPolicy } from '../runtime/retention-policy.js';
import { parseBytes, parseDuration } from './flag-units.js';

/** `troupe node` flags, validated. */
export interface NodeFlags {
  readonly id: string;
  readonly port: number;
  readonly host: string;
  readonly data: string;
  readonly app: string;
  /** `undefined`: the app's placement for this id decides. */
  readonly services: readonly string[] | undefined;
  readonly peers: readonly string[];
  readonly secret: string;
  /**
   * This node's private key file and the cluster's trust list (`--key`, `--trust`); with no
   * `--trust`, undefined: the secret alone, as before keys.
   */
  readonly keys: { readonly key: string; readonly trust: string } | undefined;
  readonly cluster: string;
  readonly relaxed: boolean;
  /** Take requests to cut and heal links (`POST /links/:peer/cut`). */
  readonly chaos: boolean;
  /** PEM files for HTTPS/`wss://`: `cert` and `key` together, `ca` to trust peers' certificates. */
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string | undefined } | undefined;
  /** A Stately inspector server (`ws://localhost:8080`) to push the actors' inspection events to. */
  readonly inspect: string | undefined;
  /** The admin API's bearer token (`--admin-token` or `TROUPE_ADMIN_TOKEN`). */
  readonly adminToken: string | undefined;
  /** More host names the admin API answers to (`--admin-host`). */
  readonly adminHosts: readonly string[];
  /** Serve the admin API off loopback without a token (`--insecure-admin`). */
  readonly insecureAdmin: boolean;
  /** Idle this long (ms), an actor is dropped from memory (`--passivate-after`); `undefined`: the default. */
  readonly passivateAfterMs: number | undefined;
  /** Byte bounds (`--buffer-bytes`, `--recent-bytes`, `--intake-bytes`, `--page-bytes`); those not given keep their defaults. */
  readonly fabric: FabricOptions;
  /** Event types wanted beside the services' (`--want`, repeatable); `undefined`: none given. */
  readonly want: readonly string[] | undefined;
  /** What of its log the node keeps (`--retain`, `--retain-events`, `--retain-bytes`, `--retain-cap`); `undefined`: everything. */
  readonly retention: RetentionPolicy | undefined;
}

/** Usage text of `troupe node`. */
export const NODE_USAGE = `usage: troupe node --id ID --port PORT --data DIR --app MODULE --secret S
       [--services a,b] [--peer ws://HOST:PORT]... [--host 127.0.0.1]
       [--cluster NAME] [--relaxed] [--tls-cert FILE --tls-key FILE] [--tls-ca FILE]
       [--inspect ws://localhost:8080] [--chaos]
       [--admin-token T] [--admin-host NAME]... [--insecure-admin] [--want TYPE]...
       [--passivate-after 5m] [--buffer-bytes 256MiB] [--recent-bytes 64MiB]
       [--intake-bytes 4MiB] [--page-bytes 4MiB] [--trust FILE [--key FILE]]
       [--retain 7d] [--retain-events N] [--retain-bytes 2GB] [--retain-cap 10GB]
  --secret may come from $TROUPE_SECRET instead.
  --want makes the node partial: peers send it only the types its services consume, its
    own events and each --want (a type, a prefix ending in '*', or '*' for everything).
  --passivate-after: an actor idle this long is dropped from memory (its record stays on
    disk; its next event or due timer brings it back).
  --buffer-bytes / --recent-bytes / --intake-bytes / --page-bytes bound in bytes the causal
    buffer, the in-memory log tail, what links hold decoded, and a /log or /trace answer.
  --trust is the cluster's trust list (one "nodeId publicKey" line per node): peers must
    then prove their node id, and events their origin. --key is this node's private key
    [default DIR.key, beside --data, so that it outlives a wiped data directory].
    Without --trust, the secret alone admits peers (a warning says so).
  --retain / --retain-events / --retain-bytes: log entries older than that, or past that
    many newest events or bytes, are removed once every peer has acknowledged them
    durably (none given: the log keeps everything). --retain-cap: past that many bytes of
    log, the oldest entries go even if a peer lacks them (logged as an error).
  --chaos lets the admin API cut and heal this node's links (POST /links/PEER/cut|heal).
  --admin-token (or $TROUPE_ADMIN_TOKEN) is the bearer token every admin call must carry;
    a node off loopback needs one, unless --insecure-admin. --admin-host adds a host name
    the admin API answers to (Host header), beside its --host.`;

/** Parses and checks `troupe node` flags; throws TROUPE_BAD_FLAGS saying what is wrong. */
export function parseNodeFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): NodeFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        id: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string' },
        app: { type: 'string' },
        services: { type: 'string' },
        peer: { type: 'string', multiple: true, default: [] },
        secret: { type: 'string' },
        cluster: { type: 'string', default: 'troupe' },
        relaxed: { type: 'boolean', default: false },
        chaos: { type: 'boolean', default: false },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
        inspect: { type: 'string' },
        'admin-token': { type: 'string' },
        'admin-host': { type: 'string', multiple: true, default: [] },
        'insecure-admin': { type: 'boolean', default: false },
        'passivate-after': { type: 'string' },
        'buffer-bytes': { type: 'string' },
        'recent-bytes': { type: 'string' },
        'intake-bytes': { type: 'string' },
        'page-bytes': { type: 'string' },
        want: { type: 'string', multiple: true },
        key: { type: 'string' },
        trust: { type: 'string' },
        retain: { type: 'string' },
        'retain-events': { type: 'string' },
        'retain-bytes': { type: 'string' },
        'retain-cap': { type: 'string' },
      },
    }));
  } catch (cause) {
    throw new TroupeError('TROUPE_BAD_FLAGS', (cause as Error).message, { cause });
  }
  const bad = (why: string): TroupeError => new TroupeError('TROUPE_BAD_FLAGS', why);
  for (const name of ['id', 'port', 'data', 'app'] as const) {
    if (values[name] === undefined || values[name] === '') throw bad(`--${name} is required`);
  }
  const id = values.id as string;
  if (!NODE_ID_PATTERN.test(id)) throw bad(`--id ${id}: use 1-64 letters, digits, '.', '_' or '-'`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw bad(`--port ${values.port}: not a port number (0-65535)`);
  for (const url of values.peer) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw bad(`--peer ${url}: not a URL`);
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw bad(`--peer ${url}: must be ws:// or wss://`);
  }
  if (values.inspect !== undefined) checkInspectUrl(values.inspect, bad);
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if ((cert === undefined) !== (key === undefined)) throw bad('--tls-cert and --tls-key go together');
  const services = values.services === undefined ? undefined : values.services.split(',').map((s) => s.trim()).filter(Boolean);
  if (services !== undefined && new Set(services).size !== services.length) throw bad(`--services ${values.services}: a service is listed twice`);
  const secret = values.secret ?? env.TROUPE_SECRET ?? '';
  // An empty key would let anyone who knows the cluster id join.
  if (secret === '') throw bad('a cluster secret is required: --secret S or TROUPE_SECRET');
  if (values['admin-token'] === '') throw bad('--admin-token must not be empty');
  if (values.trust === '' || values.key === '') throw bad('--trust and --key must not be empty');
  if (values.key !== undefined && values.trust === undefined) throw bad('--key needs --trust: a key proves nothing without the trust list');
  const adminToken = values['admin-token'] ?? (env.TROUPE_ADMIN_TOKEN || undefined);
  for (const pattern of values.want ?? []) {
    if (!isPattern(pattern)) throw bad(`--want ${pattern}: an event type, a prefix ending in '*', or '*'`);
  }
  for (const name of values['admin-host']) {
    if (!/^[a-z0-9.-]+$/i.test(name) && !/^\[?[0-9a-f:.]+\]?$/i.test(name)) throw bad(`--admin-host ${name}: not a host name or address`);
  }
  const passivate = values['passivate-after'];
  const passivateAfterMs = passivate === undefined ? undefined : parseDuration(passivate);
  if (passivate !== undefined && passivateAfterMs === undefined) throw bad(`--passivate-after ${passivate}: not a duration (300ms, 30s, 5m, 1h)`);
  const bytes = (name: 'buffer-bytes' | 'recent-bytes' | 'intake-bytes' | 'page-bytes'): number | undefined => {
    const text = values[name];
    if (text === undefined) return undefined;
    const n = parseBytes(text);
    if (n === undefined || n < 1024) throw bad(`--${name} ${text}: not a size of at least 1KiB (64MiB, 4MB, 1048576)`);
    return n;
  };
  const fabric: FabricOptions = { bufferBytes: bytes('buffer-bytes'), recentBytes: bytes('recent-bytes'), intakeBytes: bytes('intake-bytes'), pageBytes: bytes('page-bytes') };
  const retention = retentionOf(values, bad);
  return {
    id,
    port,
    host: values.host,
    data: values.data as string,
    app: values.app as string,
    services,
    peers: values.peer,
    secret,
    keys: values.trust === undefined ? undefined : { trust: values.trust, key: values.key ?? defaultKeyFile(values.data as string) },
    cluster: values.cluster,
    relaxed: values.relaxed,
    chaos: values.chaos,
    tls: cert === undefined || key === undefined ? undefined : { cert, key, ca: values['tls-ca'] },
    inspect: values.inspect,
    adminToken,
    adminHosts: values['admin-host'],
    insecureAdmin: values['insecure-admin'],
    passivateAfterMs,
    fabric,
    want: values.want,
    retention,
  };
}

/** The retention policy the `--retain*` flags ask for; `undefined` if none is given. */
function retentionOf(
  values: { retain?: string; 'retain-events'?: string; 'retain-bytes'?: string; 'retain-cap'?: string },
  bad: (why: string) => TroupeError,
): RetentionPolicy | undefined {
  const age = values.retain;
  const events = values['retain-events'];
  const bytes = values['retain-bytes'];
  const cap = values['retain-cap'];
  if (age === undefined && events === undefined && bytes === undefined && cap === undefined) return undefined;
  const maxAgeMs = age === undefined ? undefined : parseDuration(age);
  if (age !== undefined && maxAgeMs === undefined) throw bad(`--retain ${age}: not a duration (30s, 5m, 1h, 7d)`);
  const maxEvents = events === undefined ? undefined : Number(events);
  if (maxEvents !== undefined && (!Number.isSafeInteger(maxEvents) || maxEvents < 1)) throw bad(`--retain-events ${events}: not a whole number of at least 1`);
  const size = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = parseBytes(text);
    if (n === undefined || n < 1024) throw bad(`--${name} ${text}: not a size of at least 1KiB (2GB, 512MiB, 1048576)`);
    return n;
  };
  const maxBytes = size('retain-bytes', bytes);
  const capBytes = size('retain-cap', cap);
  if (capBytes !== undefined && maxBytes !== undefined && capBytes < maxBytes) throw bad(`--retain-cap ${cap}: below --retain-bytes ${bytes}; the cap is the hard limit past the policy`);
  return { maxAgeMs, maxEvents, maxBytes, capBytes };
}

/**
 * Checks an `--inspect` URL: a `ws://` or `wss://` URL of a Stately inspector server.
 * @throws what `bad` makes of the reason
 */
export function checkInspectUrl(url: string, bad: (why: string) => Error): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad(`--inspect ${url}: not a URL`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw bad(`--inspect ${url}: must be ws:// or wss://`);
}
