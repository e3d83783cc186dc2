/**
 * The `/client` WebSocket of a node: how an application in another process publishes and
 * subscribes (`troupe/client`; the grammar is `PROTOCOL.md`, "Client protocol").
 *
 * A `publish` message carries a batch of events: they are handed to the fabric together,
 * so its group commit usually writes them in one batch, and the batch is answered once,
 * an answer per event in order, when all are committed (or refused). A connection with
 * more than a bound of events waiting for their commit is not read from until half of
 * them are answered: a client that publishes faster than the node commits is slowed by
 * TCP, not buffered. Subscriptions (`client-subscription.ts`) read the log at their own
 * pace, within the credit their client grants.
 *
 * Only tools (no `Origin`) and pages from loopback origins may connect, as for `/feed`. A
 * message that is not a valid request closes the connection (4400) and changes nothing.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { decodeRequest, encodeReply, MAX_CLIENT_MESSAGE_BYTES } from '../protocol/client-codec.js';
import { CLIENT_PROTOCOL_VERSION, type ClientReply, type ClientRequest, type PublishAnswer, type PublishRequest, type SubscribeRequest } from '../protocol/client-message.js';
import { isTroupeError, TroupeError } from '../protocol/troupe-error.js';
import { ClientSubscription } from './client-subscription.js';
import type { Fabric } from './fabric.js';
import { isLoopbackOrigin, refuseUpgrade } from './upgrade-gate.js';

/** Events one connection may have waiting for their commit before the node stops reading it. */
export const MAX_PUBLISHING = 8_192;
/** Subscriptions one connection may hold at once. */
export const MAX_SUBSCRIPTIONS = 64;
/** Close code for a message that is not a valid request (as on peer links). */
export const CLOSE_PROTOCOL_ERROR = 4400;

/** The `/client` endpoint of one node. */
export class ClientEndpoint {
  private readonly fabric: Fabric;
  private readonly log: Logger;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false });
  private readonly sessions = new Set<ClientSession>();
  private closed = false;

  constructor(args: { fabric: Fabric; log: Logger }) {
    this.fabric = args.fabric;
    this.log = args.log;
  }

  /** Clients connected right now. */
  get size(): number {
    return this.sessions.size;
  }

  /** Takes the HTTP upgrade of a `/client` request: refuses foreign origins, else opens a session. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignoreSocketError);
    const origin = req.headers.origin;
    if (!isLoopbackOrigin(origin)) {
      refuseUpgrade(socket, 403, 'TROUPE_FORBIDDEN_ORIGIN', `origin ${origin} may not connect as a client; only tools and loopback pages may`);
      return;
    }
    if (this.closed) {
      refuseUpgrade(socket, 503, 'TROUPE_NODE_STOPPING', 'the node is shutting down');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connect(ws));
  }

  /** Closes every client connection. */
  close(): void {
    this.closed = true;
    for (const session of this.sessions) session.close(1001, 'the node is stopping');
    this.wss.close();
  }

  private connect(ws: WebSocket): void {
    const session = new ClientSession(ws, this.fabric, this.log);
    this.sessions.add(session);
    const endpoint = this;
    ws.on('close', function clientOnClose() {
      session.stop();
      endpoint.sessions.delete(session);
    });
  }
}

/** One client connection. */
class ClientSession {
  private readonly ws: WebSocket;
  private readonly fabric: Fabric;
  private readonly log: Logger;
  private readonly subscriptions = new Map<number, ClientSubscription>();
  /** Events handed to the fabric and not yet answered. */
  private publishing = 0;

  constructor(ws: WebSocket, fabric: Fabric, log: Logger) {
    this.ws = ws;
    this.fabric = fabric;
    this.log = log;
    const session = this;
    ws.on('message', function clientOnMessage(data: RawData, isBinary: boolean) {
      session.receive(data, isBinary);
    });
    ws.on('error', ignoreSocketError);
    void this.send({ type: 'hello', node: fabric.id, protocol: CLIENT_PROTOCOL_VERSION });
  }

  /** Closes the connection with `code`. */
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** The connection is gone: stop every subscription. */
  stop(): void {
    for (const subscription of this.subscriptions.values()) subscription.stop();
    this.subscriptions.clear();
  }

  private receive(data: RawData, isBinary: boolean): void {
    // Closed by this side (a bad request, the node stopping): requests still in flight or
    // in the same read are not carried out.
    if (this.ws.readyState !== WebSocket.OPEN) return;
    let request: ClientRequest;
    try {
      if (!isBinary || !Buffer.isBuffer(data)) throw new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', 'a request is one binary message');
      request = decodeRequest(data);
    } catch (err) {
      const message = (err as Error).message;
      this.log.warn({ code: isTroupeError(err) ? err.code : undefined, error: message }, 'bad client request; closing the connection');
      this.close(CLOSE_PROTOCOL_ERROR, message.slice(0, 120));
      return;
    }
    switch (request.type) {
      case 'publish':
        this.publish(request).catch((err: unknown) => this.log.error({ err }, 'answering a client publish failed'));
        return;
      case 'subscribe':
        this.subscribe(request);
        return;
      case 'credit':
        this.subscriptions.get(request.sub)?.grant(request.n);
        return;
      case 'unsubscribe':
        this.subscriptions.get(request.sub)?.stop();
        this.subscriptions.delete(request.sub);
        return;
    }
  }

  /** Hands the whole batch to the fabric at once (one group commit), then answers it. */
  private async publish(request: PublishRequest): Promise<void> {
    const n = request.events.length;
    this.publishing += n;
    if (this.publishing > MAX_PUBLISHING) this.ws.pause();
    const answers = await Promise.all(request.events.map((input) => this.fabric.publish(input).then(acknowledged, refused)));
    this.publishing -= n;
    if (this.ws.isPaused && this.publishing <= MAX_PUBLISHING / 2) this.ws.resume();
    await this.send({ type: 'published', ref: request.ref, answers });
  }

  private subscribe(request: SubscribeRequest): void {
    const refuse = (message: string): void => void this.send({ type: 'error', ref: request.sub, error: { code: 'TROUPE_BAD_REQUEST', message } });
    if (this.subscriptions.has(request.sub)) return refuse(`subscription ${request.sub} is already open`);
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) return refuse(`at most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
    const subscription = new ClientSubscription({ spec: request, fabric: this.fabric, send: (reply) => this.send(reply), log: this.log });
    this.subscriptions.set(request.sub, subscription);
    subscription.start();
  }

  /** Sends a reply; resolves once it is handed to the socket (at once if the connection is gone). */
  private send(reply: ClientReply): Promise<void> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.resolve();
    const bytes = encodeReply(reply);
    return new Promise((resolve) => this.ws.send(bytes, { binary: true }, () => resolve()));
  }
}

function acknowledged(e: { id: string; origin: string; seq: number; vc: Record<string, number>; correlationId: string }): PublishAnswer {
  return { id: e.id, origin: e.origin, seq: e.seq, vc: e.vc, correlationId: e.correlationId };
}

/** A refused publish as its answer: only troupe's own codes reach a client. */
function refused(err: unknown): PublishAnswer {
  if (isTroupeError(err)) return { error: { code: err.code, message: err.message } };
  return { error: { code: 'TROUPE_INTERNAL', message: `internal error: ${err instanceof Error ? err.message : String(err)}` } };
}

function ignoreSocketError(): void {}
