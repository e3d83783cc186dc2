/**
 * The receiving process of the ceiling benchmarks, on one port:
 * - a bare `ws` server that decodes each binary message with msgpackr — one event, or an
 *   array of events for the batched variant — with no storage, no ordering, no envelope:
 *   the least any event system on this stack must do;
 * - `POST /events` on a bare `node:http` server, JSON body, answered 201 at once: what
 *   publishing over HTTP costs before a node does anything with the event.
 * Every event goes to the delivery probe.
 *
 * Deliberate exception to STYLE.md §2 (only `protocol/codec.ts` imports msgpackr): this
 * measures bare msgpackr, outside the product.
 *
 * Prints `{"msg":"listening","port":N}` once it serves; answers the harness over IPC.
 */
import http from 'node:http';
import { Packr } from 'msgpackr';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { DeliveryProbe, serveProbe } from './delivery-probe.js';
import type { BenchData } from './payload.js';

interface WireEvent {
  readonly type: string;
  readonly data: BenchData;
}

const ACCEPTED = JSON.stringify({ accepted: true });

const packr = new Packr({ useRecords: false });
const probe = new DeliveryProbe();
serveProbe(probe);

const server = http.createServer({ keepAliveTimeout: 60_000 }, function serverOnRequest(req, res) {
  if (req.method !== 'POST' || req.url !== '/events') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', function requestOnEnd() {
    const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WireEvent;
    probe.observe(event.data.sentAt);
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ACCEPTED) });
    res.end(ACCEPTED);
  });
});
const sockets = new WebSocketServer({ server, perMessageDeflate: false });
sockets.on('connection', function socketsOnConnection(socket: WebSocket) {
  socket.on('message', function socketOnMessage(raw: RawData) {
    const decoded = packr.unpack(raw as Buffer) as WireEvent | WireEvent[];
    if (Array.isArray(decoded)) for (const event of decoded) probe.observe(event.data.sentAt);
    else probe.observe(decoded.data.sentAt);
  });
});
server.listen(0, '127.0.0.1', function serverOnListening() {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});
// Without the harness (its IPC channel closed) there is nothing left to measure.
process.once('disconnect', () => process.exit(0));
process.on('SIGTERM', function processOnSigterm() {
  server.closeAllConnections();
  server.close();
  process.exit(0);
});
