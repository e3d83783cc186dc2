/**
 * The Moleculer configuration both benchmark brokers share: the brokerless TCP
 * transporter with UDP discovery off, every node listed in static `urls` on 127.0.0.1,
 * and everything that is not the event path (metrics, tracing, logging) off. The
 * serializer is Moleculer's default (JSON): what a Node user gets without choosing.
 */
import type { BrokerOptions } from 'moleculer';

/** A node's id and the 127.0.0.1 port its TCP transporter listens on. */
export interface MoleculerEndpoint {
  readonly nodeID: string;
  readonly port: number;
}

/**
 * Broker options for node `self` in a cluster of `endpoints` (which includes `self`: the
 * transporter takes its own port from its own entry).
 */
export function moleculerBrokerOptions(self: string, endpoints: readonly MoleculerEndpoint[]): BrokerOptions {
  return {
    namespace: 'troupe-bench',
    nodeID: self,
    logger: false,
    metrics: false,
    tracing: false,
    transporter: {
      type: 'TCP',
      options: {
        udpDiscovery: false,
        // Reach peers by the address in `urls`, never by the host name they announce.
        useHostname: false,
        urls: endpoints.map((endpoint) => `127.0.0.1:${endpoint.port}/${endpoint.nodeID}`).join(','),
      },
    },
  };
}
