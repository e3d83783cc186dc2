/**
 * What a peer connection needs to know about its own node: its identity in the cluster,
 * the fabric its links feed, the timings of the handshake and heartbeat, what its `hello`
 * tells, and which peers it refuses. `links.ts` fills it once for every connection.
 */
import type { Logger } from 'pino';
import type { NodeIdentity } from '../protocol/node-keys.js';
import type { Clock } from './clock.js';
import type { Fabric } from './fabric.js';
import type { PeerConnection } from './peer-connection.js';

/** What a connection needs to know about its own node. */
export interface ConnectionContext {
  readonly id: string;
  readonly cluster: string;
  readonly secret: string;
  /** This node's key and the trust list: peers must then prove their node id. [default none: the secret alone] */
  readonly identity?: NodeIdentity;
  readonly fabric: Fabric;
  readonly log: Logger;
  readonly clock: Clock;
  readonly heartbeatMs: number;
  readonly handshakeMs: number;
  /** This node's admin API URL, told to peers in `hello` once the node listens. */
  admin?: string;
  /** This process's random instance id, told to peers in `hello` (with `admin`). */
  readonly instance: string;
  /** What this node wants, told to peers in `hello` (after `instance`) when it wants less than everything. */
  readonly interest?: readonly string[];
  /** This node runs `--relaxed` (acks before fsync), told to peers in `hello` (after `interest`). */
  readonly relaxed?: boolean;
  /** Whether this node holds its link to `peer` cut (see `LinkCutter`): such a peer is refused after its hello. */
  readonly isCut: (peer: string) => boolean;
  /** Whether node id `peer` was retired for good (`troupe forget`): it is refused after its proof. [default none is] */
  readonly isRetired?: (peer: string) => boolean;
  /** The connection that is this node's link to `peer` right now, if any. */
  readonly linkTo: (peer: string) => PeerConnection | undefined;
}
