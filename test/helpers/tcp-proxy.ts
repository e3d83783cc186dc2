/**
 * A TCP proxy that a test can cut: the network partition of the integration tests.
 *
 * It listens on a loopback port and pipes every connection to a target port. `cut()`
 * destroys every connection in flight and, until `heal()`, accepts new ones only to
 * destroy them at once — to a node behind it that looks like a peer that went away and
 * refuses to come back, so its reconnect backoff keeps trying. Because the proxy keeps its
 * port while cut, healing needs no re-listen and no new peer URL. Counters say whether a
 * node actually tried to go through, so a test can prove a link was really down.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Teardownable } from './node-process.js';

/** A cuttable proxy from `url` to `127.0.0.1:targetPort`. */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private isCut = false;
  /** Connections piped through to the target. */
  forwarded = 0;
  /** Connections accepted and destroyed because the proxy was cut. */
  refused = 0;

  constructor(readonly targetPort: number, readonly name = `proxy→${targetPort}`) {}

  /** Whether the proxy is cut. */
  get cutNow(): boolean {
    return this.isCut;
  }

  /** Connections currently piped. */
  get open(): number {
    return this.sockets.size / 2;
  }

  /** Starts listening on a free loopback port. */
  async listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** The proxy's port. */
  get port(): number {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error(`${this.name} is not listening`);
    return address.port;
  }

  /** `ws://127.0.0.1:PORT` of the proxy, for `--peer`. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Drops every connection and refuses new ones until {@link heal}. */
  cut(): void {
    this.isCut = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Lets connections through again. */
  heal(): void {
    this.isCut = false;
  }

  /** Stops listening and drops everything. */
  async close(): Promise<void> {
    this.cut();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.isCut) {
      this.refused++;
      client.destroy();
      return;
    }
    this.forwarded++;
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** Starts a proxy to `targetPort` and closes it in `t`'s teardown. */
export async function startProxy(t: Teardownable, targetPort: number, name?: string): Promise<TcpProxy> {
  const proxy = new TcpProxy(targetPort, name);
  await proxy.listen();
  t.teardown(() => proxy.close());
  return proxy;
}
