/**
 * `troupe/client` against real node processes: many publishes in flight, filtered
 * subscriptions, resuming across a node restart, a subscriber that does not read, the
 * array form of `POST /events`, and the `troupe publish`/`troupe tail` verbs built on it.
 */
import t from 'tap';
import { nodeOf } from '../protocol/origin.js';
import WebSocket from 'ws';
import { connect, type ClientLogEntry, type TroupeClient } from '../client/index.js';
import { decodeReply, encodeControl } from '../protocol/client-codec.js';
import type { ClientReply } from '../protocol/client-message.js';
import { runCli, startCli } from './helpers/cli-run.js';
import { crashed, dumpOnFailure, startNode, type NodeProcess, type Teardownable } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => from + i);

async function client(t: Teardownable, node: NodeProcess): Promise<TroupeClient> {
  const c = await connect(node.wsUrl, { backoff: { initialMs: 50, maxMs: 500 } });
  t.teardown(() => c.close());
  return c;
}

/** Reads `stream` in the background into `into`, until it ends. */
function collect(stream: AsyncIterable<ClientLogEntry>, into: ClientLogEntry[]): Promise<void> {
  return (async () => {
    for await (const e of stream) into.push(e);
  })();
}

async function postEvents(node: NodeProcess, events: unknown): Promise<{ status: number; body: unknown }> {
  return node.admin.request('POST', '/events', { json: events });
}

t.test('one node with clients', async (t) => {
  const node = await startNode(t, { id: 'c1', services: [] });
  dumpOnFailure(t, () => [node]);
  const failFast = crashed([node]);

  await t.test('1,000 publishes in flight are each acknowledged once and land in the log in that order', async (t) => {
    const c = await client(t, node);
    const acks = await Promise.all(range(1000, 0).map((i) => c.publish({ type: 'Ping', data: { i } })));
    t.same(acks.map((a) => a.seq), range(1000), 'seqs 1 … 1000, one each, in publish order');
    t.equal(new Set(acks.map((a) => a.id)).size, 1000);
    t.ok(acks.every((a) => nodeOf(a.origin) === 'c1' && a.vc[a.origin] === a.seq && a.correlationId === a.id));
    const log = await node.admin.log();
    t.same(log.map((e) => e.id), acks.map((a) => a.id), 'the log holds them in that order');
    t.same(log.map((e) => (e.data as { i: number }).i), range(1000, 0));
    const metrics = (await node.admin.request('GET', '/metrics')).text;
    const commits = Number(/^troupe_commit_events_count (\d+)/m.exec(metrics)?.[1]);
    t.ok(commits < 100, `publishes sent together are committed in groups (${commits} commits for 1,000 events)`);
  });

  await t.test('a bad event gets its own error and the others of its batch are committed', async (t) => {
    const c = await client(t, node);
    const [good, bad] = await Promise.allSettled([c.publish({ type: 'Fine' }), c.publish({ type: 'x'.repeat(257) })]);
    t.equal(good.status, 'fulfilled');
    t.match(bad, { status: 'rejected', reason: { code: 'TROUPE_BAD_REQUEST' } });
  });

  await t.test('subscriptions get only the types and the workflow asked for, from a position or from the end', async (t) => {
    const c = await client(t, node);
    const start = (await node.admin.status()).log.size + 1;
    const live: ClientLogEntry[] = [];
    const fromEnd = c.subscribe({ types: ['Beta'] });
    const reading = collect(fromEnd, live);
    await waitFor(() => fromEnd.position, { message: 'the live subscription to start' });
    t.equal(fromEnd.position, start, 'from the end means the next position');
    for (let i = 0; i < 30; i++) await c.publish({ type: i % 3 === 0 ? 'Alpha' : 'Beta', correlationId: `w${i % 2}`, data: i });
    const alphas: ClientLogEntry[] = [];
    const w1: ClientLogEntry[] = [];
    const readingAlphas = collect(c.subscribe({ types: ['Alpha'], from: start }), alphas);
    const readingW1 = collect(c.subscribe({ correlationId: 'w1', from: start, window: 4 }), w1);
    await waitFor(() => [alphas.length, w1.length, live.length], { until: ([a, w, l]) => a >= 10 && w >= 15 && l >= 20, message: 'each subscription to have its events', failFast });
    t.same(alphas.map((e) => e.data), range(10, 0).map((i) => i * 3));
    t.same(w1.map((e) => e.data), range(15, 0).map((i) => i * 2 + 1), 'a window of 4 still gets all, in order');
    t.same(live.map((e) => e.type), Array(20).fill('Beta'));
    t.same(live.map((e) => e.pos), live.map((e) => e.pos).sort((a, b) => a - b), 'in delivery order');
    await c.close();
    await Promise.all([reading, readingAlphas, readingW1]);
  });

  await t.test('a subscriber that does not grant credit is sent no more than its window', async (t) => {
    const ws = new WebSocket(`${node.wsUrl}/client`);
    t.teardown(() => ws.terminate());
    const replies: ClientReply[] = [];
    ws.on('message', (data: Buffer) => replies.push(decodeReply(data)));
    await waitFor(() => replies.some((r) => r.type === 'hello'), { message: 'the node to greet a raw client' });
    const from = (await node.admin.status()).log.size + 1;
    ws.send(encodeControl({ type: 'subscribe', sub: 1, from, types: [], correlationId: null, credit: 50 }));
    const received = (): number => replies.reduce((n, r) => n + (r.type === 'events' ? r.events.length : 0), 0);
    const answer = await postEvents(node, range(500).map((i) => ({ type: 'Flood', data: i })));
    t.equal(answer.status, 201);
    // Another subscription that reads everything: once it has all 500, the stingy one has had every chance to be sent more.
    const c = await client(t, node);
    const all: ClientLogEntry[] = [];
    const reading = collect(c.subscribe({ from }), all);
    await waitFor(() => all.length, { until: (n) => n >= 500, message: 'a reading subscriber to get all 500', failFast });
    t.equal(received(), 50, 'exactly the 50 granted, though 500 were there');
    ws.send(encodeControl({ type: 'credit', sub: 1, n: 25 }));
    await waitFor(received, { until: (n) => n >= 75, message: 'the next 25 after more credit' });
    await c.publish({ type: 'Marker' });
    await waitFor(() => all.length, { until: (n) => n >= 501, message: 'the marker to reach the reading subscriber' });
    t.equal(received(), 75, 'and no more than granted');
    const events = replies.flatMap((r) => (r.type === 'events' ? r.events : []));
    t.same(events.map((e) => e.pos), range(75, from), 'in order, none skipped');
    await c.close();
    await reading;
  });

  await t.test('POST /events takes an array: one answer per event in order, or a 400 that changes nothing', async (t) => {
    const answer = await postEvents(node, [{ type: 'One' }, { type: 'Two', data: { n: 2 }, correlationId: 'wf' }]);
    t.equal(answer.status, 201);
    const acks = answer.body as { id: string; seq: number; correlationId: string }[];
    t.equal(acks.length, 2);
    t.equal(acks[1].seq, acks[0].seq + 1);
    t.equal(acks[1].correlationId, 'wf');
    const size = (await node.admin.status()).log.size;
    for (const bad of [[{ type: 'Ok' }, { type: '' }], [], [{ type: 'Ok' }, 'not an event']]) {
      const refused = await postEvents(node, bad);
      t.equal(refused.status, 400, JSON.stringify(bad).slice(0, 60));
      t.match(refused.body, { error: { code: 'TROUPE_BAD_REQUEST' } });
    }
    t.equal((await node.admin.status()).log.size, size, 'no event of a refused batch was published');
  });

  await t.test('a message that is not a request closes that connection with 4400 and changes nothing', async (t) => {
    const size = (await node.admin.status()).log.size;
    for (const [what, message] of [['text', 'hello'], ['garbage', Buffer.from([0x93, 0xa7, 0x70, 0x75, 0x62])]] as const) {
      const ws = new WebSocket(`${node.wsUrl}/client`);
      const code = await new Promise<number>((resolve) => {
        ws.on('message', function rawOnHello() {
          ws.send(message);
        });
        ws.on('close', (c: number) => resolve(c));
      });
      t.equal(code, 4400, what);
    }
    t.equal((await node.admin.status()).log.size, size);
    t.ok(node.running, 'the node is up');
  });

  await t.test('a page from a foreign origin may not connect', async (t) => {
    const ws = new WebSocket(`${node.wsUrl}/client`, { headers: { origin: 'https://evil.example' } });
    const status = await new Promise<number | undefined>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(undefined));
    });
    ws.terminate();
    t.equal(status, 403);
  });

  await t.test('troupe publish prints the acknowledgement; troupe tail prints the events asked for', async (t) => {
    const tail = startCli(t, ['tail', node.url, '--type', 'Shown']);
    await waitFor(() => tail.stderr(), { until: (err) => err.includes('following the log of c1'), message: () => `troupe tail to start\n${tail.stderr()}` });
    const hidden = await runCli(['publish', node.url, 'Hidden']);
    t.equal(hidden.code, 0, hidden.stderr);
    const shown = await runCli(['publish', node.url, 'Shown', '{"n":1}', '--correlation', 'cli-1']);
    t.equal(shown.code, 0, shown.stderr);
    const ack = JSON.parse(shown.stdout) as { id: string; correlationId: string };
    t.equal(ack.correlationId, 'cli-1');
    const out = await waitFor(() => tail.stdout(), { until: (o) => o.includes('Shown'), message: () => `tail to show the event\n${tail.stderr()}` });
    t.match(out, new RegExp(`  ${ack.id}  Shown  cli-1  ← -  \\{"n":1\\}\\n$`));
    t.notMatch(out, /Hidden/, 'the filter is applied');
    tail.kill('SIGINT');
    t.equal((await tail.ended).code, 0, 'Ctrl-C stops it cleanly');
    const badJson = await runCli(['publish', node.url, 'Shown', '{nope']);
    t.equal(badJson.code, 2);
    t.match(badJson.stderr, /TROUPE_BAD_FLAGS/);
    const refused = await runCli(['publish', node.url, 'x'.repeat(300)]);
    t.equal(refused.code, 2);
    t.match(refused.stderr, /TROUPE_BAD_REQUEST/);
  });
});

t.test('a subscriber resumes across a node restart with no gap and no duplicate; a publish queued meanwhile goes out after it', async (t) => {
  const node = await startNode(t, { id: 'c2', services: [] });
  dumpOnFailure(t, () => [node]);
  const c = await client(t, node);
  const seen: ClientLogEntry[] = [];
  const stream = c.subscribe({ from: 1, window: 20 });
  t.equal((await postEvents(node, range(200).map((i) => ({ type: 'Before', data: i })))).status, 201);
  // Read half, slowly enough that the rest is still on the node's side when it dies.
  for (let i = 0; i < 100; i++) seen.push((await stream.next()).value as ClientLogEntry);
  await node.kill9();
  await waitFor(() => !c.connected, { message: 'the client to notice the node is gone' });
  const queued = c.publish({ type: 'Queued' });
  await node.restart();
  t.equal((await postEvents(node, range(200).map((i) => ({ type: 'After', data: i })))).status, 201);
  const ack = await queued;
  t.equal(nodeOf(ack.origin), 'c2', 'the publish queued while disconnected was committed after the restart');
  // 200 before, the restart's retirement of c2's first start (`protocol/retirement.ts`), 200 after and the queued one.
  for (let n = seen.length; n < 402; n++) seen.push((await stream.next()).value as ClientLogEntry);
  t.same(seen.map((e) => e.pos), range(402), 'positions 1 … 402, each once');
  t.equal(new Set(seen.map((e) => e.id)).size, 402);
  t.equal(seen.filter((e) => e.type === 'troupe.retired').length, 1, 'the restart retired the first start once');
  t.same(seen.slice(0, 200).map((e) => e.data), range(200));
  t.ok(seen.some((e) => e.id === ack.id), 'the queued publish is in the stream');
});
