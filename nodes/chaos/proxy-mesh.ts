/**
 * The network of a chaos cluster: a TCP proxy on every directed link, so that faults can be
 * put between any two nodes. Node `a` dials node `b` through the proxy `a→b`; a link between
 * two nodes runs through whichever of the two proxies its dial went through, so a fault
 * between `a` and `b` is applied to both.
 */
import { TcpProxy } from '../tcp-proxy.js';

/** Every directed link's proxy, by `from→to`. */
export class ProxyMesh {
  private constructor(private readonly proxies: ReadonlyMap<string, TcpProxy>) {}

  /** Starts a proxy from every node to every other, to the port each listens on. */
  static async start(ports: ReadonlyMap<string, number>): Promise<ProxyMesh> {
    const proxies = new Map<string, TcpProxy>();
    try {
      for (const from of ports.keys()) {
        for (const [to, port] of ports) {
          if (to !== from) proxies.set(`${from}→${to}`, await TcpProxy.start(port, { name: `${from}→${to}` }));
        }
      }
    } catch (err) {
      await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
      throw err;
    }
    return new ProxyMesh(proxies);
  }

  /** The URL `from` dials to reach `to`. */
  peerUrl(from: string, to: string): string {
    return this.proxy(from, to).wsUrl;
  }

  /** Cuts the links between `a` and `b`, both ways. */
  cut(a: string, b: string): void {
    this.proxy(a, b).cut();
    this.proxy(b, a).cut();
  }

  /** Drops what `from` sends to `to` on either proxy; the other way stays open. */
  dropOneWay(from: string, to: string): void {
    this.proxy(from, to).drop('up');
    this.proxy(to, from).drop('down');
  }

  /** Holds every link of `node` open with nothing passing. */
  blackhole(node: string): void {
    for (const proxy of this.linksOf(node)) proxy.blackhole();
  }

  /** Delays every chunk on every link of `node` by `ms` (0: none). */
  setLatency(node: string, ms: number): void {
    for (const proxy of this.linksOf(node)) proxy.setLatency(ms);
  }

  /** Lifts every fault on every link. */
  healAll(): void {
    for (const proxy of this.proxies.values()) {
      proxy.heal();
      proxy.setLatency(0);
    }
  }

  /** Closes every proxy. */
  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
  }

  private linksOf(node: string): TcpProxy[] {
    return [...this.proxies.entries()].filter(([key]) => key.split('→').includes(node)).map(([, proxy]) => proxy);
  }

  private proxy(from: string, to: string): TcpProxy {
    const proxy = this.proxies.get(`${from}→${to}`);
    if (proxy === undefined) throw new Error(`no proxy ${from}→${to}`);
    return proxy;
  }
}
