/**
 * HTTP below `fetch`, for tests of what a node answers to requests `fetch` will not send:
 * bytes written as they are on a TCP socket (a malformed request line, a bad chunk size),
 * or a request with a `Host` header of the test's choosing.
 */
import { request } from 'node:http';
import { connect } from 'node:net';

/** An answer read off the wire. */
export interface RawAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The parsed body, when it is JSON. */
  readonly body: unknown;
}

/**
 * Writes `bytes` to 127.0.0.1:`port` and reads until the node closes the connection (or
 * `timeout`). Resolves with the answer it got; rejects when the connection was reset
 * before any answer came. With `hold`, the sending side stays open, as a client that is
 * slow to send the rest; else it is closed after `bytes`.
 */
export function rawExchange(port: number, bytes: Buffer | string, { timeout = 10_000, hold = false } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no end of answer within ${timeout} ms`)), timeout);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (chunks.length === 0) reject(err);
      else resolve(parseAnswer(Buffer.concat(chunks)));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (chunks.length === 0) reject(new Error('the connection closed with no answer'));
      else resolve(parseAnswer(Buffer.concat(chunks)));
    });
    // Keep reading after the answer: the node closes when it is done.
    if (hold) socket.write(bytes);
    else socket.end(bytes);
  });
}

function parseAnswer(raw: Buffer): RawAnswer {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const bodyText = end < 0 ? '' : raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1')).toString('utf8');
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, text: bodyText, body: parseJson(bodyText) };
}

/** A request through Node's `http` client, which lets a test set `Host` (fetch does not). */
export function httpExchange(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
        resolve({ status: res.statusCode ?? 0, headers, text, body: parseJson(text) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
