/**
 * How much a node's HTTP server takes, and how it says no. Every answer is in the admin
 * API's shape, `{ error: { code, message } }`, including the ones Node's HTTP parser
 * makes on its own (a bare `400`/`431` otherwise):
 *
 * - a request Node cannot parse (a bad chunk size, a negative `Content-Length`, a request
 *   line that is not HTTP) answers 400 `TROUPE_BAD_REQUEST`; headers over 16 KiB (a long
 *   query counts) 431 `TROUPE_TOO_LARGE`; a request not received in time 408
 *   `TROUPE_REQUEST_TIMEOUT` (headers within 10 s, the whole request within 30 s); an
 *   `Expect` other than `100-continue` 417 `TROUPE_BAD_REQUEST`;
 * - a body over 1 MiB answers 413 `TROUPE_TOO_LARGE`. The rest of the body is read and
 *   dropped (up to 16 MiB more) rather than the connection closed at once: closing a
 *   socket with unread bytes resets it, and the client, still sending, would lose the
 *   answer. A sender that goes past that is cut off;
 * - a JSON body must be valid UTF-8 (400), not decoded with replacement characters.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TroupeError } from '../protocol/troupe-error.js';
import { refuseUpgrade } from './upgrade-gate.js';

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** What is read and dropped of a body over the limit before the connection is cut. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/** Time limits for receiving a request. */
export interface HttpTimeouts {
  /** The request line and headers must arrive within this. [default 10000] */
  readonly headersMs?: number;
  /** The whole request (with its body) must arrive within this. [default 30000] */
  readonly requestMs?: number;
}

/**
 * Sets the server's receive timeouts and answers what its parser refuses in JSON. Create
 * the server with `requireHostHeader: false`: a request without `Host` is then the admin
 * guard's to refuse, in JSON, rather than Node's with a bare 400.
 */
export function limitServer(server: Server, timeouts: HttpTimeouts = {}): void {
  server.headersTimeout = timeouts.headersMs ?? 10_000;
  server.requestTimeout = timeouts.requestMs ?? 30_000;
  server.on('clientError', serverOnClientError);
  server.on('checkExpectation', serverOnCheckExpectation);
}

/** An `Expect` other than `100-continue`, which Node would refuse with a bare 417. */
function serverOnCheckExpectation(req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify({ error: { code: 'TROUPE_BAD_REQUEST', message: `cannot meet Expect: ${req.headers.expect}` } });
  res.writeHead(417, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/** A request Node's parser refused, or one that timed out: answered in JSON, then closed. */
function serverOnClientError(err: NodeJS.ErrnoException & { reason?: string }, socket: Socket): void {
  // As Node's own handler: nothing to say to a reset peer or over an answer already started.
  const answering = (socket as { _httpMessage?: { headersSent: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || answering?.headersSent === true) {
    socket.destroy();
    return;
  }
  const why = err.reason ?? err.message;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    refuseUpgrade(socket, 431, 'TROUPE_TOO_LARGE', 'the request line and headers are over 16 KiB');
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    refuseUpgrade(socket, 408, 'TROUPE_REQUEST_TIMEOUT', 'the request did not arrive in time');
  } else if (err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
    refuseUpgrade(socket, 413, 'TROUPE_TOO_LARGE', why);
  } else {
    refuseUpgrade(socket, 400, 'TROUPE_BAD_REQUEST', `cannot parse the request: ${why} (${err.code ?? 'no code'})`);
  }
}

/**
 * Reads a JSON body of at most {@link MAX_BODY_BYTES}, as UTF-8.
 * @throws TroupeError `TROUPE_TOO_LARGE` over the limit; `TROUPE_BAD_REQUEST` when it is
 *   not UTF-8 or not JSON.
 */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): TroupeError => new TroupeError('TROUPE_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    const declared = Number(req.headers['content-length'] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = declared > MAX_BODY_BYTES;
    // Refused at once when it says it is too large; its bytes are still drained below.
    if (over) reject(tooLarge());
    req.on('data', function bodyOnData(chunk: Buffer) {
      size += chunk.length;
      if (over) {
        if (size > MAX_BODY_BYTES + MAX_DRAIN_BYTES) req.socket.destroy();
        return;
      }
      if (size > MAX_BODY_BYTES) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', function bodyOnEnd() {
      if (over) return;
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
      } catch {
        return reject(new TroupeError('TROUPE_BAD_REQUEST', 'the body is not valid UTF-8'));
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new TroupeError('TROUPE_BAD_REQUEST', 'the body is not valid JSON'));
      }
    });
  });
}
