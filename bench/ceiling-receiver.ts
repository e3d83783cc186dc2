/**
 * The receiving process of the ceiling benchmark: a bare `ws` server that decodes each
 * binary message with msgpackr — one event, or an array of events for the batched
 * variant — and hands every event to the delivery probe. No storage, no ordering, no
 * envelope: the least any event system on this stack must do.
 *
 * Deliberate exception to STYLE.md §2 (only `protocol/codec.ts` imports msgpackr): this
 * measures bare msgpackr, outside the product.
 *
 * Prints `{"msg":"listening","port":N}` once it serves; answers the harness over IPC.
 */
import { Packr } from 'msgpackr';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { DeliveryProbe, serveProbe } from './delivery-probe.js';
import type { BenchData } from './payload.js';

interface WireEvent {
  readonly type: string;
  readonly data: BenchData;
}

const packr = new Packr({ useRecords: false });
const probe = new DeliveryProbe();
serveProbe(probe);

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('listening', function serverOnListening() {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});
server.on('connection', function serverOnConnection(socket: WebSocket) {
  socket.on('message', function socketOnMessage(raw: RawData) {
    const decoded = packr.unpack(raw as Buffer) as WireEvent | WireEvent[];
    if (Array.isArray(decoded)) for (const event of decoded) probe.observe(event.data.sentAt);
    else probe.observe(decoded.data.sentAt);
  });
});
process.on('SIGTERM', function processOnSigterm() {
  server.close();
  process.exit(0);
});
