/**
 * `troupe/testing`: test a choreography without processes. An app's services run in one
 * process as a simulated cluster, on the same kernel as a real node (LevelDB store, host,
 * causal-delivery fabric), over a seeded network the test controls and a simulated clock
 * that drives `after` delays, heartbeats and acks. The same seed gives the same run.
 */
export { simulateCluster, SimulatedCluster } from './simulated-cluster.js';
export type { ActorOf, SimulationOptions } from './simulated-cluster.js';
export type { Delivery } from './simulated-network.js';
export type { ActorView } from '../runtime/host.js';
export type { LogEntry, Trace } from '../runtime/fabric.js';
export type { RetentionPolicy } from '../runtime/retention-policy.js';
export type { NodeStatus } from '../inspector/feed.js';
