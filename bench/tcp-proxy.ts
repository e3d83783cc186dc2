/**
 * A counting TCP proxy on 127.0.0.1 for the wire figures: put between two processes, it
 * forwards bytes untouched and counts them in each direction, and messages too when told
 * the stream's framing. It runs in the harness process and costs a hop and some CPU, so
 * the suite uses it only in the runs that measure bytes and messages, never in the runs
 * that measure throughput or latency.
 */
import net from 'node:net';
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

interface Direction {
  bytes: number;
  counter: FrameCounter | null;
}

/** A listening proxy to one target port. */
export class CountingProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly directions: { up: Direction; down: Direction }[] = [];
  private base: ProxyTraffic = { bytesUp: 0, bytesDown: 0, messagesUp: 0, messagesDown: 0 };

  private constructor(
    private readonly targetPort: number,
    private readonly framing: Framing | null,
  ) {
    this.server = net.createServer((client) => this.serverOnConnection(client));
  }

  /** Starts a proxy on a free 127.0.0.1 port forwarding to `127.0.0.1:targetPort`. */
  static async start(targetPort: number, framing: Framing | null): Promise<CountingProxy> {
    const proxy = new CountingProxy(targetPort, framing);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  /** The port the proxy listens on. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Traffic since the last `resetCounters()`. */
  traffic(): ProxyTraffic {
    const total = this.totals();
    return {
      bytesUp: total.bytesUp - this.base.bytesUp,
      bytesDown: total.bytesDown - this.base.bytesDown,
      messagesUp: total.messagesUp - this.base.messagesUp,
      messagesDown: total.messagesDown - this.base.messagesDown,
    };
  }

  /** Starts counting afresh (after handshakes, before the measured run). */
  resetCounters(): void {
    this.base = this.totals();
  }

  /** Closes the listener and every connection through it. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private totals(): ProxyTraffic {
    let bytesUp = 0;
    let bytesDown = 0;
    let messagesUp = 0;
    let messagesDown = 0;
    for (const { up, down } of this.directions) {
      bytesUp += up.bytes;
      bytesDown += down.bytes;
      messagesUp += up.counter?.messages ?? 0;
      messagesDown += down.counter?.messages ?? 0;
    }
    return { bytesUp, bytesDown, messagesUp, messagesDown };
  }

  private serverOnConnection(client: net.Socket): void {
    const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort });
    const counter = (): FrameCounter | null => (this.framing ? createFrameCounter(this.framing) : null);
    const up: Direction = { bytes: 0, counter: counter() };
    const down: Direction = { bytes: 0, counter: counter() };
    this.directions.push({ up, down });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      // A reset on one side is passed on as a close of the other; not an error of the proxy.
      socket.on('error', () => (socket === client ? upstream : client).destroy());
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
