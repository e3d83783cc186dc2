/**
 * A free TCP port on 127.0.0.1, for systems that must be told their port before they
 * start (Moleculer's static `urls` list every node's address up front). The port is free
 * when returned; on a loopback-only benchmark machine nothing else races for it.
 */
import net from 'node:net';

/** Asks the OS for an unused 127.0.0.1 port and releases it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
