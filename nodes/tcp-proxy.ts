/**
 * A TCP proxy on 127.0.0.1 between two processes: it forwards bytes, counts them in each
 * direction (and messages too, when given a counter for the stream's framing), and breaks
 * the link on demand the ways a network does.
 *
 * The benchmarks count the wire with it; the integration tests and `troupe chaos` put one
 * on every link they want to break. Its faults:
 *
 * - `cut()` destroys every connection in flight and, until `heal()`, accepts new ones only
 *   to destroy them at once: to a node behind it, a peer that went away and refuses to
 *   come back, so its reconnect backoff keeps trying.
 * - `blackhole()` keeps every connection open and passes nothing either way; new ones are
 *   accepted and held the same. A peer sees a link that is up and silent.
 * - `drop('up' | 'down')` passes nothing in one direction (`up`: from the dialling side to
 *   the target), a one-way cut.
 * - `setLatency(ms)` delays every chunk by `ms`, in order.
 *
 * A connection that lost bytes to a blackhole or a one-way cut has a hole in its stream,
 * so `heal()` closes it, as TCP would once its retransmissions time out; the peers dial
 * again. The proxy keeps its port throughout, so healing needs no new peer URL;
 * `forwarded` and `refused` say whether a node actually tried to go through.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Counts messages in one direction of one connection (see `bench/frame-counter.ts`). */
export interface MessageCounter {
  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void;
  readonly messages: number;
}

/** Traffic through a proxy since its counters were last reset. */
export interface ProxyTraffic {
  /** Bytes from the dialling side to the target. */
  readonly bytesUp: number;
  /** Bytes from the target back to the dialling side. */
  readonly bytesDown: number;
  /** Messages (see {@link MessageCounter}) in each direction; 0 without a counter. */
  readonly messagesUp: number;
  readonly messagesDown: number;
}

/** How a proxy counts and is named. */
export interface ProxyOptions {
  /** A fresh counter per connection and direction, to count messages as well as bytes. */
  readonly messages?: () => MessageCounter;
  /** What error messages call it. [default `proxy→<targetPort>`] */
  readonly name?: string;
}

/** A direction of a proxied connection: `up` from the dialling side to the target. */
export type ProxyDirection = 'up' | 'down';

interface Direction {
  bytes: number;
  readonly counter: MessageCounter | null;
}

/** One accepted connection: the client's socket and, unless blackholed at accept, the target's. */
interface Connection {
  readonly client: Socket;
  readonly upstream: Socket | null;
  /** Bytes were dropped: the stream has a hole and must not carry on after a heal. */
  holed: boolean;
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
  private readonly connections = new Set<Connection>();
  private readonly directions: { readonly up: Direction; readonly down: Direction }[] = [];
  private base: ProxyTraffic = NO_TRAFFIC;
  private isCut = false;
  private dropping = { up: false, down: false };
  private latencyMs = 0;

  private constructor(
    readonly targetPort: number,
    private readonly counter: (() => MessageCounter) | null,
    name: string | undefined,
  ) {
    this.name = name ?? `proxy→${targetPort}`;
    this.server = createServer((client) => this.serverOnConnection(client));
  }

  /** Starts a proxy on a free 127.0.0.1 port. */
  static async start(targetPort: number, options: ProxyOptions = {}): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, options.messages ?? null, options.name);
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
    for (const connection of [...this.connections]) this.closeConnection(connection);
  }

  /** Holds every connection open, old and new, and passes nothing until {@link heal}. */
  blackhole(): void {
    this.dropping = { up: true, down: true };
  }

  /** Passes nothing in `direction` until {@link heal}: a one-way cut. */
  drop(direction: ProxyDirection): void {
    this.dropping = { ...this.dropping, [direction]: true };
  }

  /** Delays every chunk by `ms` from now on (0: none); {@link heal} leaves it. */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Lets connections through again; closes those that lost bytes meanwhile. */
  heal(): void {
    this.isCut = false;
    this.dropping = { up: false, down: false };
    for (const connection of [...this.connections]) if (connection.holed || connection.upstream === null) this.closeConnection(connection);
  }

  /** Closes the listener and every connection through it. */
  async close(): Promise<void> {
    this.cut();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private closeConnection(connection: Connection): void {
    connection.client.destroy();
    connection.upstream?.destroy();
    this.connections.delete(connection);
  }

  private serverOnConnection(client: Socket): void {
    if (this.isCut) {
      this.refused++;
      client.destroy();
      return;
    }
    const blackholed = this.dropping.up && this.dropping.down;
    const upstream = blackholed ? null : createConnection({ host: '127.0.0.1', port: this.targetPort });
    const connection: Connection = { client, upstream, holed: false };
    this.connections.add(connection);
    // A reset or close on one side is passed on as a close of the other; not an error of the proxy.
    const proxy = this;
    function socketOnEnd(): void {
      proxy.closeConnection(connection);
    }
    for (const socket of upstream ? [client, upstream] : [client]) {
      socket.setNoDelay(true);
      socket.on('error', socketOnEnd);
      socket.on('close', socketOnEnd);
    }
    if (upstream === null) {
      client.on('data', function heldOnData() {
        connection.holed = true;
      });
      return;
    }
    this.forwarded++;
    const up: Direction = { bytes: 0, counter: this.counter?.() ?? null };
    const down: Direction = { bytes: 0, counter: this.counter?.() ?? null };
    this.directions.push({ up, down });
    this.pipe(connection, client, upstream, up, 'up');
    this.pipe(connection, upstream, client, down, 'down');
  }

  /** Forwards `from` to `to`, counting, dropping while told to, and delaying by the latency. */
  private pipe(connection: Connection, from: Socket, to: Socket, direction: Direction, name: ProxyDirection): void {
    const proxy = this;
    const delayed: { readonly due: number; readonly chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    function write(chunk: Buffer): void {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', function toOnDrain() {
          from.resume();
        });
      }
    }
    function delayedOnDue(): void {
      timer = undefined;
      const now = Date.now();
      while (delayed.length > 0 && delayed[0]!.due <= now) write(delayed.shift()!.chunk);
      if (delayed.length > 0) timer = setTimeout(delayedOnDue, delayed[0]!.due - now);
    }
    from.on('data', function fromOnData(chunk: Buffer) {
      direction.bytes += chunk.length;
      direction.counter?.push(chunk);
      if (proxy.dropping[name]) {
        connection.holed = true;
        return;
      }
      if (proxy.latencyMs === 0 && delayed.length === 0) {
        write(chunk);
        return;
      }
      // Due times never decrease, so the queue stays in stream order when the latency changes.
      const due = Math.max(Date.now() + proxy.latencyMs, delayed.at(-1)?.due ?? 0);
      delayed.push({ due, chunk });
      timer ??= setTimeout(delayedOnDue, due - Date.now());
    });
    from.on('close', function fromOnClose() {
      if (timer !== undefined) clearTimeout(timer);
    });
  }
}
