/**
 * A TCP proxy on 127.0.0.1 between two processes: it forwards bytes untouched, counts
 * them in each direction (and messages too, when told the stream's framing), and can be
 * cut.
 *
 * The benchmarks count the wire with it; it runs in the harness process and costs a hop
 * and some CPU, so the suite uses it only in the runs that measure bytes and messages.
 * The integration tests partition nodes with it: `cut()` destroys every connection in
 * flight and, until `heal()`, accepts new ones only to destroy them at once — to a node
 * behind it that looks like a peer that went away and refuses to come back, so its
 * reconnect backoff keeps trying. The proxy keeps its port while cut, so healing needs no
 * new peer URL; `forwarded` and `refused` say whether a node actually tried to go through.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createFrameCounter, type FrameCounter, type Framing } from './frame-counter.js';

/** Traffic through a proxy since its counters were last reset. */
export interface ProxyTraffic {
  /** Bytes from the dialling side to the target. */
  readonly bytesUp: number;
  /** Bytes from the target back to the dialling side. */
  readonly bytesDown: number;
  /** Messages (see `FrameCounter`) in each direction; 0 without a framing. */
  readonly messagesUp: number;
  readonly messagesDown: number;
}

/** How a proxy counts and is named. */
export interface ProxyOptions {
  /** The streams' framing, to count messages as well as bytes. */
  readonly framing?: Framing;
  /** What error messages call it. [default `proxy→<targetPort>`] */
  readonly name?: string;
}

interface Direction {
  bytes: number;
  readonly counter: FrameCounter | null;
}

const NO_TRAFFIC: ProxyTraffic = { bytesUp: 0, bytesDown: 0, messagesUp: 0, messagesDown: 0 };

/** A listening proxy to `127.0.0.1:targetPort`. */
export class TcpProxy {
  readonly name: string;
  /** Connections piped through to the target. */
  forwarded = 0;
  /** Connections accepted and destroyed because the proxy was cut. */
  refused = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly directions: { readonly up: Direction; readonly down: Direction }[] = [];
  private base: ProxyTraffic = NO_TRAFFIC;
  private isCut = false;

  private constructor(
    readonly targetPort: number,
    private readonly framing: Framing | null,
    name: string | undefined,
  ) {
    this.name = name ?? `proxy→${targetPort}`;
    this.server = createServer((client) => this.serverOnConnection(client));
  }

  /** Starts a proxy on a free 127.0.0.1 port. */
  static async start(targetPort: number, options: ProxyOptions = {}): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, options.framing ?? null, options.name);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => {
        proxy.server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  /** The port the proxy listens on. */
  get port(): number {
    const address = this.server.address() as AddressInfo | null;
    if (address === null) throw new Error(`${this.name} is not listening`);
    return address.port;
  }

  /** `ws://127.0.0.1:PORT` of the proxy, for `--peer`. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Traffic since the last `resetCounters()`. */
  traffic(): ProxyTraffic {
    const total = { ...NO_TRAFFIC };
    for (const { up, down } of this.directions) {
      total.bytesUp += up.bytes;
      total.bytesDown += down.bytes;
      total.messagesUp += up.counter?.messages ?? 0;
      total.messagesDown += down.counter?.messages ?? 0;
    }
    return {
      bytesUp: total.bytesUp - this.base.bytesUp,
      bytesDown: total.bytesDown - this.base.bytesDown,
      messagesUp: total.messagesUp - this.base.messagesUp,
      messagesDown: total.messagesDown - this.base.messagesDown,
    };
  }

  /** Starts counting afresh (after handshakes, before the measured run). */
  resetCounters(): void {
    this.base = NO_TRAFFIC;
    this.base = this.traffic();
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

  /** Closes the listener and every connection through it. */
  async close(): Promise<void> {
    this.cut();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serverOnConnection(client: Socket): void {
    if (this.isCut) {
      this.refused++;
      client.destroy();
      return;
    }
    this.forwarded++;
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
    const counter = (): FrameCounter | null => (this.framing ? createFrameCounter(this.framing) : null);
    const up: Direction = { bytes: 0, counter: counter() };
    const down: Direction = { bytes: 0, counter: counter() };
    this.directions.push({ up, down });
    const sockets = this.sockets;
    // A reset or close on one side is passed on as a close of the other; not an error of the proxy.
    function socketOnEnd(): void {
      for (const socket of [client, upstream]) {
        socket.destroy();
        sockets.delete(socket);
      }
    }
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('error', socketOnEnd);
      socket.on('close', socketOnEnd);
    }
    client.on('data', function clientOnData(chunk: Buffer) {
      up.bytes += chunk.length;
      up.counter?.push(chunk);
    });
    upstream.on('data', function upstreamOnData(chunk: Buffer) {
      down.bytes += chunk.length;
      down.counter?.push(chunk);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
