/**
 * troupe's public surface: what an app (its services, machines and demo) or a tool that
 * embeds a node needs. Everything else is internal and may change without notice.
 */
export { defineApp } from './runtime/service.js';
export type { AppDefinition, DemoContext, EmittedEvent, RestartOptions, ServiceDefinition, ServiceEvent, ServiceInput } from './runtime/service.js';
export { defineService } from './runtime/define-service.js';
export type { AcceptedEvent, AcceptedType, ConsumedBy, EmittedBy, TypedService, TypedServiceSpec } from './runtime/define-service.js';
export { startNode } from './runtime/node.js';
export type { NodeOptions, RunningNode } from './runtime/node.js';
export { NodeIdentity, TrustList, newNodeKey, readNodeKey } from './protocol/node-keys.js';
export type { NodeKey } from './protocol/node-keys.js';
export { loadIdentity } from './nodes/key-files.js';
export type { PublishInput } from './runtime/fabric.js';
export type { Envelope, VectorClock } from './protocol/envelope.js';
export { compare } from './protocol/vector-clock.js';
export type { ClockOrder } from './protocol/vector-clock.js';
export { TroupeError, isTroupeError } from './protocol/troupe-error.js';
export type { TroupeErrorCode } from './protocol/troupe-error.js';
