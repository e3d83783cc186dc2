import t from 'tap';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TcpProxy } from '../nodes/tcp-proxy.js';
import type { Teardownable } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

/** An echo-less sink on 127.0.0.1 that keeps what each connection sent and can answer on it. */
async function startSink(t: Teardownable): Promise<{ server: Server; port: number; received: () => string; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  let received = '';
  const server = createServer(function sinkOnConnection(socket) {
    sockets.push(socket);
    socket.on('data', function sinkOnData(chunk: Buffer) {
      received += chunk.toString();
    });
    socket.on('error', function sinkOnError() {
      // the proxy closing a connection is what some tests do
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return { server, port: (server.address() as AddressInfo).port, received: () => received, sockets };
}

/** A client connection through `proxy`, collecting what comes back and whether it closed. */
async function dial(t: Teardownable, proxy: TcpProxy): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  let received = '';
  let closed = false;
  const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
  socket.on('data', function clientOnData(chunk: Buffer) {
    received += chunk.toString();
  });
  socket.on('close', function clientOnClose() {
    closed = true;
  });
  socket.on('error', function clientOnError() {
    // a cut shows as a close
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  t.teardown(() => {
    socket.destroy();
  });
  return { socket, received: () => received, closed: () => closed };
}

async function startProxy(t: Teardownable, port: number): Promise<TcpProxy> {
  const proxy = await TcpProxy.start(port);
  t.teardown(() => proxy.close());
  return proxy;
}

t.test('a blackhole keeps the connection open, passes nothing either way, and its heal closes the holed connection', async (t) => {
  const sink = await startSink(t);
  const proxy = await startProxy(t, sink.port);
  const client = await dial(t, proxy);
  client.socket.write('before;');
  await waitFor(() => sink.received(), { until: (r) => r === 'before;', message: 'the sink to get the first write' });
  proxy.blackhole();
  client.socket.write('lost;');
  sink.sockets[0]!.write('lost-back;');
  await waitFor(() => proxy.traffic(), { until: (tr) => tr.bytesUp >= 12 && tr.bytesDown >= 10, message: 'the proxy to take both writes' });
  t.equal(sink.received(), 'before;', 'nothing reached the target');
  t.equal(client.received(), '', 'nothing came back');
  t.notOk(client.closed(), 'the connection stays open');
  proxy.heal();
  await waitFor(() => client.closed(), { message: 'the holed connection to close on heal' });
  const again = await dial(t, proxy);
  again.socket.write('after;');
  await waitFor(() => sink.received(), { until: (r) => r === 'before;after;', message: 'a new connection to pass again' });
});

t.test('a one-way drop passes one direction and not the other', async (t) => {
  const sink = await startSink(t);
  const proxy = await startProxy(t, sink.port);
  const client = await dial(t, proxy);
  client.socket.write('x');
  await waitFor(() => sink.sockets.length, { until: (n) => n === 1, message: 'the sink to accept' });
  proxy.drop('down');
  client.socket.write('up;');
  sink.sockets[0]!.write('down;');
  await waitFor(() => sink.received(), { until: (r) => r === 'xup;', message: 'the dialling side to still reach the target' });
  await waitFor(() => proxy.traffic().bytesDown, { until: (n) => n >= 5, message: 'the proxy to take the answer' });
  t.equal(client.received(), '', 'the answer was dropped');
});

t.test('added latency delays every chunk and keeps their order', async (t) => {
  const sink = await startSink(t);
  const proxy = await startProxy(t, sink.port);
  const client = await dial(t, proxy);
  proxy.setLatency(2000);
  for (const part of ['a', 'b', 'c']) client.socket.write(part);
  await waitFor(() => proxy.traffic().bytesUp, { until: (n) => n === 3, message: 'the proxy to take the writes' });
  t.equal(sink.received(), '', 'held back while the latency lasts');
  proxy.setLatency(0);
  client.socket.write('d');
  await waitFor(() => sink.received(), { until: (r) => r.length === 4, message: 'every chunk to arrive' });
  t.equal(sink.received(), 'abcd', 'in the order written: the undelayed chunk waits for the delayed ones');
});

t.test('a cut closes the connection and refuses new ones until healed', async (t) => {
  const sink = await startSink(t);
  const proxy = await startProxy(t, sink.port);
  const client = await dial(t, proxy);
  proxy.cut();
  await waitFor(() => client.closed(), { message: 'the connection to close on cut' });
  const refused = await dial(t, proxy);
  await waitFor(() => refused.closed(), { message: 'a new connection to be closed while cut' });
  t.equal(proxy.refused, 1);
  proxy.heal();
  const healed = await dial(t, proxy);
  healed.socket.write('ok');
  await waitFor(() => sink.received(), { until: (r) => r === 'ok', message: 'a connection after the heal to pass' });
});
