/**
 * Keeps a process on 127.0.0.1. The suite must send nothing off loopback, and one of the
 * systems it runs (Moleculer's TCP transporter) learns peer addresses from the peers
 * themselves — their host name and non-loopback interfaces travel in its INFO packets —
 * and listens on every interface. Rather than trust configuration alone, this patches
 * `net` so that a TCP connection to any other host throws, a server given no host binds
 * to 127.0.0.1, and UDP cannot be opened at all.
 */
import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const LOOPBACK_HOSTS = new Set(['localhost', '::1', '::ffff:127.0.0.1']);

/** Whether `host` names this machine's loopback interface. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
}

/** The host a `socket.connect(...)` call targets, if it names one (IPC paths do not). */
function connectHost(args: unknown[]): string | undefined {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: unknown; path?: unknown };
    if (options.path !== undefined) return undefined;
    return typeof options.host === 'string' ? options.host : undefined;
  }
  return typeof first === 'number' && typeof args[1] === 'string' ? args[1] : undefined;
}

/** `server.listen(...)` arguments with 127.0.0.1 filled in where no host or handle was given. */
function loopbackListenArgs(args: unknown[]): unknown[] {
  const first = args[0];
  if (first === undefined || typeof first === 'function') return [0, '127.0.0.1', ...args];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return typeof args[1] === 'string' ? args : [first, '127.0.0.1', ...args.slice(1)];
  }
  if (typeof first === 'object' && first !== null && Object.getPrototypeOf(first) === Object.prototype) {
    const options = first as { host?: unknown; path?: unknown; fd?: unknown; handle?: unknown };
    if (options.host === undefined && options.path === undefined && options.fd === undefined && options.handle === undefined) {
      return [{ ...options, host: '127.0.0.1' }, ...args.slice(1)];
    }
  }
  return args;
}

let installed = false;

/** Installs the guard in this process (idempotent). */
export function enforceLoopback(): void {
  if (installed) return;
  installed = true;
  // The patches wrap overloaded methods whose typings cannot be spread over; they only
  // inspect and forward the arguments.
  type Method = (this: unknown, ...args: unknown[]) => unknown;
  const socketProto = net.Socket.prototype as unknown as { connect: Method };
  const connect = socketProto.connect;
  socketProto.connect = function guardedConnect(this: unknown, ...args: unknown[]) {
    const host = connectHost(args);
    if (host !== undefined && !isLoopbackHost(host)) {
      // Said on stderr too: the caller may swallow the error, the harness must not miss it.
      const message = `loopback guard: refused a TCP connection to ${host}`;
      process.stderr.write(`${message}\n`);
      throw new Error(message);
    }
    return connect.apply(this, args);
  };
  const serverProto = net.Server.prototype as unknown as { listen: Method };
  const listen = serverProto.listen;
  serverProto.listen = function guardedListen(this: unknown, ...args: unknown[]) {
    return listen.apply(this, loopbackListenArgs(args));
  };
  (dgram as unknown as { createSocket: Method }).createSocket = function guardedCreateSocket(): never {
    throw new Error('loopback guard: UDP is disabled in benchmark processes');
  };
  // ESM importers of `node:dgram` see the patched export only after this.
  syncBuiltinESMExports();
}
