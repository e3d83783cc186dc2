/**
 * What `troupe cluster` runs, worked out before anything starts: the launcher's flags
 * (`parseClusterArgs`), the nodes an app names (`clusterNodes`), and where each of them
 * listens, keeps its data and dials (`clusterLayout`). The nodes take consecutive ports
 * (base port + 1, + 2, …) and each dials every node before it, so each pair is linked
 * exactly once (or, when the app names a `hub`, every other node dials the hub alone); `nodeArgs` turns one node's plan into the arguments of `troupe node`.
 *
 * Everything here is pure, and it is where the launcher's input is checked: `cluster.ts`
 * trusts the plan it is given and only runs it.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NODE_ID_PATTERN } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { AppDefinition } from '../runtime/service.js';
import { checkInspectUrl } from './node-flags.js';

/** How `troupe cluster` runs an app; `parseClusterArgs` builds it from the command line. */
export interface ClusterOptions {
  /** The app module as the user gave it: a directory with an index, or a .ts/.js file, relative to cwd. */
  readonly app: string;
  /** Nodes listen on `basePort + 1`, `+ 2`, … in the order of the app's `cluster.nodes`. */
  readonly basePort: number;
  /** Each node keeps its data in `<dataDir>/<app name>/<node id>`. */
  readonly dataDir: string;
  /** Wipe each node's data directory before starting. */
  readonly fresh: boolean;
  /** Run the app's demo once the cluster is up. */
  readonly demo: boolean;
  /** The cluster secret; default `TROUPE_SECRET` from the environment, else a random one. */
  readonly secret?: string;
  /** The interface nodes listen on. [default '127.0.0.1'] */
  readonly host?: string;
  /** A Stately inspector server every node pushes its actors' inspection events to. */
  readonly inspect?: string;
  /** The admin token every node asks for; default `TROUPE_ADMIN_TOKEN` from the environment, else none. */
  readonly adminToken?: string;
  /** Let nodes off loopback serve the admin API without a token. */
  readonly insecureAdmin?: boolean;
  /** Where the output goes. [default process.stdout] */
  readonly out?: NodeJS.WritableStream;
}

/** The synopsis of `troupe cluster`, for the CLI's usage text. */
export const CLUSTER_USAGE =
  'troupe cluster --app MODULE [--base-port 7400] [--data .troupe] [--fresh] [--no-demo] [--secret S] [--host 127.0.0.1] [--inspect ws://localhost:8080]\n' +
  '       [--admin-token T] [--insecure-admin]';

/** The interface nodes listen on when `--host` is not given. */
export const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_BASE_PORT = 7400;
const DEFAULT_DATA_DIR = '.troupe';

const CLUSTER_FLAGS = {
  app: { type: 'string' },
  'base-port': { type: 'string', default: String(DEFAULT_BASE_PORT) },
  data: { type: 'string', default: DEFAULT_DATA_DIR },
  fresh: { type: 'boolean', default: false },
  'no-demo': { type: 'boolean', default: false },
  secret: { type: 'string' },
  host: { type: 'string' },
  inspect: { type: 'string' },
  'admin-token': { type: 'string' },
  'insecure-admin': { type: 'boolean', default: false },
} as const;

/**
 * Reads the arguments of `troupe cluster` (those after `cluster`).
 * @throws TroupeError `TROUPE_BAD_FLAGS` on an unknown flag, a positional argument, a
 *   missing `--app`, or a `--base-port` that is not a port number.
 * @example parseClusterArgs(['--app', 'examples/orders', '--fresh'])
 */
export function parseClusterArgs(argv: readonly string[]): ClusterOptions {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: CLUSTER_FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    // Node's own wording for an unknown option goes on about positionals; say it plainly.
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec(message)?.[1] : undefined;
    throw badFlags(unknown === undefined ? message : `unknown flag ${unknown}`, err);
  }
  if (values.app === undefined || values.app === '') {
    throw badFlags('--app MODULE is required (an app directory or module, e.g. examples/orders)');
  }
  const basePort = Number(values['base-port']);
  if (!/^\d+$/.test(values['base-port']) || basePort < 1 || basePort > 65534) {
    throw badFlags(`--base-port must be a port number from 1 to 65534, got '${values['base-port']}'`);
  }
  if (values.data === '') throw badFlags('--data must not be empty');
  if (values.secret === '') throw badFlags('--secret must not be empty');
  if (values.host === '') throw badFlags('--host must not be empty');
  if (values.inspect !== undefined) checkInspectUrl(values.inspect, (why) => badFlags(why));
  if (values['admin-token'] === '') throw badFlags('--admin-token must not be empty');
  return {
    app: values.app,
    basePort,
    dataDir: values.data,
    fresh: values.fresh,
    demo: !values['no-demo'],
    ...(values.secret === undefined ? {} : { secret: values.secret }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.inspect === undefined ? {} : { inspect: values.inspect }),
    ...(values['admin-token'] === undefined ? {} : { adminToken: values['admin-token'] }),
    ...(values['insecure-admin'] ? { insecureAdmin: true } : {}),
  };
}

function badFlags(message: string, cause?: unknown): TroupeError {
  return new TroupeError('TROUPE_BAD_FLAGS', `cluster: ${message}`, { cause });
}

/**
 * The nodes `troupe cluster` starts for an app: its `cluster.nodes`, else the nodes its
 * placement names.
 * @throws TroupeError `TROUPE_BAD_APP` when that leaves none.
 */
export function clusterNodes(app: AppDefinition): readonly string[] {
  const ids = app.cluster?.nodes ?? Object.keys(app.placement);
  if (ids.length === 0) {
    throw new TroupeError('TROUPE_BAD_APP', `app '${app.name}' names no nodes: give it cluster.nodes or a placement`);
  }
  return ids;
}

/** Where one node of a local cluster listens, keeps its data, and which peers it dials. */
export interface NodePlan {
  readonly id: string;
  readonly port: number;
  /** Its admin API base URL (`http://127.0.0.1:7401`). */
  readonly url: string;
  readonly dataDir: string;
  /** The WebSocket URLs it dials: those of every node before it. */
  readonly peers: readonly string[];
}

/**
 * Lays out a local cluster: node i listens on `basePort + i + 1`, keeps its data in
 * `<dataDir>/<appName>/<id>`, and dials every node before it, so each pair of nodes is
 * linked once. URLs use `host`, or loopback when `host` is a wildcard address.
 * @throws TroupeError `TROUPE_BAD_APP` on a node id or app name that is not a safe path
 *   segment, or a repeated id; `TROUPE_BAD_FLAGS` when the ports run past 65535.
 */
export function clusterLayout(
  ids: readonly string[],
  options: { readonly basePort: number; readonly dataDir: string; readonly appName: string; readonly host: string; readonly hub?: string },
): NodePlan[] {
  if (options.hub !== undefined && !ids.includes(options.hub)) {
    throw new TroupeError('TROUPE_BAD_APP', `cluster.hub '${options.hub}' is not one of cluster.nodes`);
  }
  if (!isPathSegment(options.appName)) {
    throw new TroupeError('TROUPE_BAD_APP', `app name '${options.appName}' must be a plain name (letters, digits, _ . -)`);
  }
  const seen = new Set<string>();
  for (const id of ids) {
    if (!isPathSegment(id)) throw new TroupeError('TROUPE_BAD_APP', `node id '${id}' must match ${NODE_ID_PATTERN}`);
    if (seen.has(id)) throw new TroupeError('TROUPE_BAD_APP', `node id '${id}' appears twice in cluster.nodes`);
    seen.add(id);
  }
  const lastPort = options.basePort + ids.length;
  if (lastPort > 65535) {
    throw new TroupeError('TROUPE_BAD_FLAGS', `--base-port ${options.basePort} leaves no room for ${ids.length} nodes`);
  }
  const host = urlHost(options.host);
  const ports = ids.map((_, i) => options.basePort + i + 1);
  const hub = options.hub === undefined ? -1 : ids.indexOf(options.hub);
  // With a hub, every other node dials the hub alone; the hub dials nobody.
  const dials = (i: number): number[] => (hub < 0 ? ports.slice(0, i) : i === hub ? [] : [ports[hub]]);
  return ids.map((id, i) => ({
    id,
    port: ports[i],
    url: `http://${host}:${ports[i]}`,
    dataDir: join(options.dataDir, options.appName, id),
    peers: dials(i).map((port) => `ws://${host}:${port}`),
  }));
}

/** The pairs of node ids the plans link (one dials the other): every pair, or each node with the hub. */
export function linkedPairs(plans: readonly NodePlan[]): [string, string][] {
  const byHost = new Map(plans.map((plan) => [new URL(plan.url).host, plan.id]));
  return plans.flatMap((plan) => plan.peers.map((peer): [string, string] => [byHost.get(new URL(peer).host) ?? peer, plan.id]));
}

/** A node id or app name that is safe as one directory name. */
function isPathSegment(name: string): boolean {
  return NODE_ID_PATTERN.test(name) && name !== '.' && name !== '..';
}

/** The host as it goes in a URL: loopback for a wildcard address, IPv6 in brackets. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The arguments of `troupe node` for one planned node, after the CLI's path, with
 * `--chaos`. The secret and the admin token are not among them: they go in the environment.
 */
export function nodeArgs(
  plan: NodePlan,
  options: { readonly app: string; readonly host: string; readonly cluster: string; readonly inspect?: string; readonly insecureAdmin?: boolean; readonly trust?: string },
): string[] {
  return [
    'node',
    '--id', plan.id,
    '--port', String(plan.port),
    '--data', plan.dataDir,
    '--app', options.app,
    '--host', options.host,
    '--cluster', options.cluster,
    // Local clusters are for watching: let the inspector and the demo cut links.
    '--chaos',
    ...plan.peers.flatMap((peer) => ['--peer', peer]),
    ...(options.inspect === undefined ? [] : ['--inspect', options.inspect]),
    ...(options.insecureAdmin === true ? ['--insecure-admin'] : []),
    // Each node's key sits beside its data directory, where `--key` looks by default.
    ...(options.trust === undefined ? [] : ['--trust', options.trust]),
  ];
}
