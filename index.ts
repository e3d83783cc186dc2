/**
 * troupe's public surface: what an app or a tool may import. Everything else is internal.
 */
export { defineApp } from './runtime/service.js';
export type { AppDefinition, DemoContext, EmittedEvent, ServiceDefinition, ServiceEvent, ServiceInput } from './runtime/service.js';
export { startNode } from './runtime/node.js';
export type { NodeOptions, RunningNode } from './runtime/node.js';
export { tuneHeapForNode } from './nodes/heap-tuning.js';
export type { FabricOptions, PublishInput } from './runtime/fabric.js';
export type { Envelope, VectorClock } from './protocol/envelope.js';
export { compare, merge, canDeliver } from './protocol/vector-clock.js';
export type { ClockOrder } from './protocol/vector-clock.js';
export { TroupeError, isTroupeError } from './protocol/troupe-error.js';
export type { TroupeErrorCode } from './protocol/troupe-error.js';
