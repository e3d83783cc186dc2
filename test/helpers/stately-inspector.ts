/**
 * The Stately side of the inspection stream, as a user runs it: `@statelyai/inspect`'s own
 * inspector server (`createInspectorServer`, the relay the browser page connects to) and
 * its own WebSocket receiver (`createWebSocketReceiver`), which parses each text frame.
 *
 * Neither lets its connections be closed: the server's `stop()` leaves open sockets open
 * and the receiver has no close at all. The server's HTTP server is caught as it is
 * created, so a teardown can cut its sockets; a receiver of a node's `/inspect` is closed
 * by the node when it stops.
 */
import http, { type Server } from 'node:http';
import type { Socket } from 'node:net';
import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import type { Teardownable } from './node-process.js';
import { waitFor } from './wait-for.js';

/** A free TCP port on loopback, for a server that cannot be told to pick one (the bench's helper). */
export { freePort } from '../../bench/free-port.js';

/** A running `createInspectorServer`. */
export interface StatelyServer {
  readonly port: number;
  /** `ws://127.0.0.1:PORT`, what `--inspect` and receivers dial. */
  readonly url: string;
}

/**
 * Starts `@statelyai/inspect`'s inspector server on `port` (no browser) and waits until it
 * listens; the teardown stops it and cuts its connections.
 */
export async function startStatelyServer(t: Teardownable, port: number): Promise<StatelyServer> {
  const createServer = http.createServer;
  let server: Server | undefined;
  // Catch the HTTP server the inspector server makes, to wait for it and close its sockets.
  http.createServer = ((...args: Parameters<typeof createServer>) => (server = createServer(...args))) as typeof createServer;
  let inspector: { stop(): void };
  try {
    inspector = createInspectorServer({ port, autoOpen: false });
  } finally {
    http.createServer = createServer;
  }
  const sockets = new Set<Socket>();
  server!.on('connection', function statelyServerOnConnection(socket: Socket) {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  if (!server!.listening) await new Promise<void>((resolve, reject) => server!.once('listening', resolve).once('error', reject));
  t.teardown(() => {
    inspector.stop();
    for (const socket of sockets) socket.destroy();
  });
  return { port, url: `ws://127.0.0.1:${port}` };
}

/** Every event a receiver got so far, in order. */
export interface Received {
  readonly events: StatelyInspectionEvent[];
}

/** Connects `@statelyai/inspect`'s WebSocket receiver to `url` and collects what it gets. */
export function receive(url: string): Received {
  const events: StatelyInspectionEvent[] = [];
  createWebSocketReceiver({ server: url }).subscribe(function receiverOnEvent(event) {
    events.push(event);
  });
  return { events };
}

/** The `@xstate.actor` events of the actor named `name`. */
export function actorsNamed(received: Received, name: string): (StatelyInspectionEvent & { type: '@xstate.actor' })[] {
  return received.events.filter((e): e is StatelyInspectionEvent & { type: '@xstate.actor' } => e.type === '@xstate.actor' && e.name === name);
}

/** The state values of the `@xstate.snapshot` events of session `sessionId`, in order. */
export function statesOf(received: Received, sessionId: string): unknown[] {
  return received.events
    .filter((e) => e.type === '@xstate.snapshot' && e.sessionId === sessionId)
    .map((e) => (e as { snapshot: { value?: unknown } }).snapshot.value);
}

/**
 * Waits until the actor named `name` has been announced and has reached `state`, either
 * in a snapshot after its announcement or in the announcement itself; returns its session id.
 */
export async function waitForActorIn(received: Received, name: string, state: string, what: string, timeout = 60_000): Promise<string> {
  const found = await waitFor(
    () => {
      const announced = actorsNamed(received, name);
      const reached = announced.find((a) => a.snapshot.value === state || statesOf(received, a.sessionId).includes(state));
      return reached?.sessionId;
    },
    {
      timeout,
      interval: 50,
      message: `${what}: actor ${name} announced and in ${state}`,
      describe: () => `${received.events.length} events: ${JSON.stringify(received.events.slice(-8).map((e) => [e.type, e.sessionId, (e as { name?: string }).name]))}`,
    },
  );
  return found!;
}
