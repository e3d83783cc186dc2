/**
 * A raw WebSocket client posing as a peer: it sends whatever bytes a test gives it and
 * reports how the node closed the connection. It speaks no troupe protocol on purpose,
 * so it can send what no real node would.
 */
import WebSocket from 'ws';

/** How a connection ended. */
export interface Closed {
  readonly code: number;
  readonly reason: string;
  /** Frames the node sent before closing (e.g. its hello). */
  readonly received: number;
  /** A client-side error, if any (a reset while sending a huge frame, for instance). */
  readonly error?: string;
}

/**
 * Opens a WebSocket to `url`, sends `payload` (binary unless a string) once open, and
 * resolves when the node closes the connection; rejects if it has not within `timeout`.
 */
export function sendAndAwaitClose(url: string, payload: Uint8Array | string, timeout = 15_000): Promise<Closed> {
  return new Promise<Closed>((resolve, reject) => {
    const socket = new WebSocket(url);
    let received = 0;
    let error: string | undefined;
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`${url}: the node did not close the connection within ${timeout} ms after the bad frame (received ${received} frames)`));
    }, timeout);
    socket.on('open', function rawPeerOnOpen() {
      socket.send(payload, { binary: typeof payload !== 'string' });
    });
    socket.on('message', function rawPeerOnMessage() {
      received++;
    });
    socket.on('error', function rawPeerOnError(err) {
      error = err.message;
    });
    socket.on('close', function rawPeerOnClose(code, reason) {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString('utf8'), received, ...(error !== undefined && { error }) });
    });
  });
}

/**
 * A msgpack map of string keys to strings, numbers or empty arrays, encoded by hand (not
 * with the codec under test): enough to build well-formed msgpack that is not a valid frame.
 */
export function msgpackMap(entries: Record<string, string | number | never[]>): Uint8Array {
  const keys = Object.keys(entries);
  if (keys.length > 15) throw new Error('msgpackMap: at most 15 entries (fixmap)');
  const bytes: number[] = [0x80 | keys.length];
  const str = (s: string): void => {
    const utf8 = [...Buffer.from(s, 'utf8')];
    if (utf8.length > 31) throw new Error('msgpackMap: strings of at most 31 bytes (fixstr)');
    bytes.push(0xa0 | utf8.length, ...utf8);
  };
  for (const key of keys) {
    str(key);
    const value = entries[key]!;
    if (typeof value === 'string') str(value);
    else if (Array.isArray(value)) bytes.push(0x90);
    else if (Number.isInteger(value) && value >= 0 && value < 128) bytes.push(value);
    else throw new Error('msgpackMap: numbers 0…127 only (positive fixint)');
  }
  return Uint8Array.from(bytes);
}
