/**
 * `troupe/client`: publish to and subscribe on a troupe node from another process, over
 * the node's `/client` WebSocket. See `TroupeClient` and the README's "Client" section.
 */
export { connect, clientUrl, TroupeClient } from './troupe-client.js';
export type { ClientOptions } from './troupe-client.js';
export type { SubscribeOptions } from './subscription-stream.js';
export type { ClientLogEntry, ClientPublishInput, PublishAck } from '../protocol/client-message.js';
export { TroupeError, isTroupeError } from '../protocol/troupe-error.js';
export type { TroupeErrorCode } from '../protocol/troupe-error.js';
