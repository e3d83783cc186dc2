/**
 * A node's status (`GET /status`, and the inspector feed's `hello` and `status`): its
 * clock, its peers with link state and outbox depth, what it hosts, its log, and whether
 * it takes cut/heal requests — with each peer's link marked when this node cut it — and
 * any second process under one node id that it refused or was refused as, and what it retired.
 * Its `vc` shows the live entries: a retired origin at its final seq is left out, counted in
 * `retired.folded`, and read as the final seq `retired.origins` gives it.
 */
import type { NodeStatus } from '../inspector/feed.js';
import { foldedCount } from '../protocol/clock-floor.js';
import type { Fabric } from './fabric.js';
import type { Host } from './host.js';
import type { LinkCutter } from './link-cutter.js';

/** The status of the node made of `fabric` and `host`; `chaos` when it takes cut/heal requests. */
export function nodeStatus(fabric: Fabric, host: Host, chaos?: LinkCutter): NodeStatus {
  const peers = fabric.peerViews();
  const duplicates = fabric.duplicates.list();
  const interest = fabric.interest.view();
  const lost = fabric.lostEvents;
  const retired = fabric.retired;
  const vc = fabric.clock;
  return {
    id: fabric.id,
    origin: fabric.origin,
    vc,
    peers: chaos === undefined ? peers : peers.map((peer) => (chaos.isCut(peer.id) ? { ...peer, cut: true } : peer)),
    services: host.serviceNames,
    log: { size: fabric.size, first: fabric.logStart, buffered: fabric.buffered },
    recovering: fabric.recovering,
    ...(chaos === undefined ? {} : { chaos: true }),
    ...(duplicates.length === 0 ? {} : { duplicates }),
    ...(interest === undefined ? {} : { interest }),
    ...(lost === undefined ? {} : { lost }),
    ...(retired.origins.length === 0 && retired.nodes.length === 0 ? {} : { retired: { ...retired, folded: foldedCount(vc) } }),
  };
}
