/**
 * Who may open a node's browser-facing WebSockets (`/feed`, `/inspect`). Browsers let any
 * site open a WebSocket to 127.0.0.1, so the `Origin` header is what keeps a page the user
 * happens to visit from reading a node or cutting its links: only tools (no Origin) and
 * pages served from a loopback host are let in.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TroupeErrorCode } from '../protocol/troupe-error.js';

/**
 * Whether an upgrade's `Origin` may connect: none (not a browser page), or a page served
 * from 127.0.0.1, localhost or [::1] on any port.
 */
export function isLoopbackOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque origin "null" of sandboxed frames and files
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

/**
 * Whether an upgrade may go on; if not, it is answered: 403 `TROUPE_FORBIDDEN_ORIGIN` for
 * a foreign page (`origin … may not <forbidden>`), 503 `TROUPE_NODE_STOPPING` once the
 * endpoint is `closed`.
 */
export function admitUpgrade(req: IncomingMessage, socket: Duplex, closed: boolean, forbidden: string): boolean {
  const origin = req.headers.origin;
  if (!isLoopbackOrigin(origin)) {
    refuseUpgrade(socket, 403, 'TROUPE_FORBIDDEN_ORIGIN', `origin ${origin} may not ${forbidden}`);
    return false;
  }
  if (closed) {
    refuseUpgrade(socket, 503, 'TROUPE_NODE_STOPPING', 'the node is shutting down');
    return false;
  }
  return true;
}

/**
 * Answers a request on its raw socket with an HTTP error in the admin API's shape and
 * closes the socket: an upgrade refused, or a request Node's HTTP parser refused.
 */
export function refuseUpgrade(socket: Duplex, status: number, code: TroupeErrorCode, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = STATUS_CODES[status] ?? 'Error';
  // The HTTP server no longer watches an upgraded socket: a reset must not go unhandled.
  socket.on('error', function refusedSocketOnError() {});
  socket.once('finish', function refusedSocketOnFinish() {
    socket.destroy();
  });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
