/**
 * One troupe node: store, host, fabric, links and admin API wired together on one port.
 * Data flows one way: links → fabric → host → fabric → links; the admin API only reads
 * from the fabric and the host and publishes through the fabric.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { NodeIdentity } from '../protocol/node-keys.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { adminApi } from './admin-api.js';
import { AdminGuard, GUARD_STATUS, type AdminAccess } from './admin-guard.js';
import { ClientEndpoint } from './client-endpoint.js';
import { soloApp } from './app-info.js';
import type { Envelope } from '../protocol/envelope.js';
import type { FabricOptions, PublishInput } from './fabric.js';
import { limitServer, type HttpTimeouts } from './http-limits.js';
import { InspectionStream } from './inspection-stream.js';
import { InspectorFeed } from './inspector-feed.js';
import { Links } from './links.js';
import { Metrics } from './metrics.js';
import { openKernel } from './node-kernel.js';
import type { RetentionPolicy } from './retention-policy.js';
import type { AppDefinition, ServiceDefinition } from './service.js';
import { newestVersions } from './upcasters.js';
import { refuseUpgrade } from './upgrade-gate.js';

/** Options of {@link startNode}. */
export interface NodeOptions {
  readonly id: string;
  /** Cluster id checked in the handshake. [default 'troupe'] */
  readonly cluster?: string;
  readonly secret: string;
  /**
   * This node's key pair and the cluster's trust list (`node-keys.ts`): the handshake then
   * proves each peer's node id, and events carry their origin's signed checkpoints.
   * [default none: the secret alone proves membership, not identity, and a warning says so]
   */
  readonly identity?: NodeIdentity;
  /** The LevelDB directory. */
  readonly dataDir: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly services: readonly ServiceDefinition[];
  /** The whole app (every service, the placement), which `GET /app` shows. [default: only `services`, placed here] */
  readonly app?: AppDefinition;
  readonly peers: readonly string[];
  /** Skip fsync on commit. [default false] */
  readonly relaxed?: boolean;
  /** Every line carries `node: id`; a child logger adds it when this one lacks it. */
  readonly log: Logger;
  readonly fabric?: FabricOptions;
  /** Idle this long (ms), an actor is dropped from memory until needed (`--passivate-after`). [default 5 minutes] */
  readonly passivateAfterMs?: number;
  /**
   * Serve HTTPS and `wss://` with this certificate and key (PEM). `ca` is what dialed
   * `wss://` peers' certificates must chain to, beside the system's roots.
   */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca?: Buffer };
  /** A Stately inspector server to push the actors' inspection events to (`ws://localhost:8080`). */
  readonly inspect?: string;
  /** Take requests to cut and heal links (`POST /links/:peer/cut`). [default false] */
  readonly chaos?: boolean;
  /**
   * Who may use the admin API and the page's WebSockets (see `admin-guard.ts`): a token,
   * the host names the node is reached by, and whether to serve off loopback without a
   * token. [default: no token; only a loopback `host` may do without one]
   */
  readonly admin?: AdminAccess;
  /** How long a request's headers and whole body may take to arrive. [default 10 s, 30 s] */
  readonly httpTimeouts?: HttpTimeouts;
  /**
   * Event types this node wants beside its services' (`--want`: types, `prefix*`, `*`).
   * Given, the node is partial: peers send it only that and its own events (`interest.ts`).
   * [default: everything]
   */
  readonly want?: readonly string[];
  /** What of its log this node keeps (`retention-policy.ts`). [default everything] */
  readonly retention?: RetentionPolicy;
}

/** A running node. */
export interface RunningNode {
  readonly id: string;
  /** The admin API base URL, `http://host:port`. */
  readonly url: string;
  readonly port: number;
  /** Publishes an event from this node; resolves once it is committed (see `Fabric.publish`). */
  publish(input: PublishInput): Promise<Envelope>;
  /** Stops serving, closes links, finishes the batch in progress and closes the store. */
  stop(): Promise<void>;
}

/** Opens the store, restores actors, and starts serving and dialing. */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const { id } = options;
  const hostname = options.host ?? '127.0.0.1';
  // Checked before anything opens: a node that may not serve starts nothing.
  const guard = new AdminGuard(hostname, options.admin);
  const log = options.log.bindings().node === undefined ? options.log.child({ node: id }) : options.log;
  const inspection = new InspectionStream({ node: id, log, push: options.inspect });
  const cluster = options.cluster ?? 'troupe';
  const identity = options.identity;
  if (identity === undefined) {
    log.warn('no node key and trust list: the cluster secret proves membership only, so any holder can speak for every node (see --trust)');
  }
  const { store, host, fabric } = await openKernel({
    id,
    dataDir: options.dataDir,
    services: options.services,
    versions: options.app === undefined ? undefined : newestVersions(options.app.services),
    log,
    relaxed: options.relaxed,
    fabric: options.fabric,
    passivateAfterMs: options.passivateAfterMs,
    inspect: inspection.inspect,
    want: options.want,
    identity: identity && { identity, cluster },
    retention: options.retention,
  });
  inspection.attach(host);

  const tls = options.tls;
  const links = new Links({
    id,
    cluster,
    secret: options.secret,
    identity,
    fabric,
    log,
    peers: options.peers,
    ca: tls?.ca,
    relaxed: options.relaxed,
  });
  let url = '';
  const metrics = new Metrics({ fabric, host, store });
  const chaos = options.chaos === true ? links : undefined;
  const inspected = { fabric, host, store, app: options.app ?? soloApp(id, options.services), chaos };
  const api = adminApi({ ...inspected, metrics, url: () => url, guard });
  const feed = new InspectorFeed(inspected);
  // Request timeouts are checked every second (Node's default, 30 s, lets them run late);
  // a missing Host is refused by the guard, in JSON (see limitServer).
  const serverOptions = { keepAliveTimeout: 60_000, connectionsCheckingInterval: 1000, requireHostHeader: false };
  const clients = new ClientEndpoint({ fabric, log });
  const server: Server = tls === undefined
    ? createServer(serverOptions, api)
    : createTlsServer({ ...serverOptions, cert: tls.cert, key: tls.key }, api);
  limitServer(server, options.httpTimeouts);
  // One port serves everything: WebSocket upgrades go by path, and any other path is a peer.
  // The paths here are browser-facing and pass the admin guard; peers prove themselves in
  // their handshake instead.
  const upgrades: Readonly<Record<string, UpgradeHandler>> = {
    '/inspect': (req, socket, head) => inspection.upgrade(req, socket, head),
    '/feed': (req, socket, head) => feed.upgrade(req, socket, head),
    '/client': (req, socket, head) => clients.upgrade(req, socket, head),
  };
  server.on('upgrade', function serverOnUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const path = (req.url ?? '/').split('?')[0];
    const upgrade = upgrades[path];
    if (upgrade === undefined) return links.upgrade(req, socket, head);
    try {
      guard.checkUpgrade(req);
    } catch (err) {
      const refused = err as TroupeError;
      return refuseUpgrade(socket, GUARD_STATUS[refused.code] ?? 403, refused.code, refused.message);
    }
    upgrade(req, socket, head);
  });
  try {
    await listen(server, options.port, hostname);
  } catch (err) {
    // Nothing was served: release the store (and its lock) and the actors' timers.
    feed.close();
    clients.close();
    host.stop();
    await inspection.stop();
    await fabric.stop();
    await store.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  url = `${tls === undefined ? 'http' : 'https'}://${hostname}:${port}`;
  links.advertise(url);
  links.start();
  inspection.start();
  log.info({ url, port, services: host.serviceNames, log: fabric.size, vc: fabric.clock }, 'listening');

  let stopping: Promise<void> | undefined;
  const running = fabric;
  return {
    id,
    url,
    port,
    publish: (input) => running.publish(input),
    stop() {
      stopping ??= (async () => {
        // Stop intake first, then let the batch in progress finish, then stop the actors:
        // an actor stopped before its event is committed would lose that event's effects.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        feed.close();
        clients.close();
        await links.stop();
        await running.stop();
        host.stop();
        await inspection.stop();
        server.closeAllConnections();
        await closed;
        await store.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}

/** Takes an HTTP upgrade request on one path of the node's port. */
type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

function listen(server: Server, port: number, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const serverOnListenError = (cause: NodeJS.ErrnoException): void =>
      reject(new TroupeError('TROUPE_LISTEN_FAILED', `cannot listen on ${hostname}:${port}: ${cause.code ?? cause.message}`, { cause }));
    server.once('error', serverOnListenError);
    server.listen(port, hostname, () => {
      server.off('error', serverOnListenError);
      resolve();
    });
  });
}
