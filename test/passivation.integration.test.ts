/**
 * Passivation on a real node process: a passivated actor's `after` timer fires when due
 * even if the node is killed with `kill -9` in between, and `GET /actors` pages and
 * counts over HTTP.
 */
import t from 'tap';
import { WAKE_LEAD_MS } from '../runtime/passivation.js';
import { RING_AFTER_MS } from './fixtures/apps/alarms.js';
import { crashed, dumpOnFailure, startNode } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const APP = 'test/fixtures/apps/alarms.ts';

interface ActorsAnswer {
  actors: { service: string; key: string | null; state: unknown; context: { n?: number } }[];
  next: string | null;
  counts: Record<string, Record<string, number>>;
  live: number;
}

t.test('a passivated actor\'s after timer survives kill -9 and fires when due', async (t) => {
  const node = await startNode(t, { id: 'solo', app: APP, extraArgs: ['--passivate-after', '300ms'] });
  dumpOnFailure(t, () => [node]);
  const armed = await node.admin.publish('Arm', { id: 'x' });
  const { ts } = (await node.admin.logPage(1, 10)).events.find((e) => e.id === armed.id)!;
  const actors = async (): Promise<ActorsAnswer> => (await node.admin.request('GET', '/actors?service=alarm')).body as ActorsAnswer;
  await waitFor(actors, { until: (a) => a.live === 0, timeout: 5000, message: 'the alarm to be passivated', failFast: crashed([node]) });

  const exit = await node.kill9();
  t.equal(exit.signal, 'SIGKILL');
  await node.restart();
  const before = await actors();
  // A node brings back an actor a little before its timer is due (`WAKE_LEAD_MS`): on a
  // slow machine the restart itself may take until then.
  if (Date.now() < ts + RING_AFTER_MS - 3 * WAKE_LEAD_MS) {
    t.equal(before.live, 0, 'the restart brought back no actor whose timer is not due soon');
    t.match(before.actors, [{ service: 'alarm', key: 'x', state: 'armed' }], 'the alarm is on disk, armed');
  } else {
    t.comment('the restart took until the alarm was nearly due: not checking that it stayed on disk');
  }

  const rung = await waitFor(actors, {
    until: (a) => a.actors[0]?.state === 'rung',
    timeout: RING_AFTER_MS + 15_000,
    interval: 200,
    message: 'the passivated alarm to ring after the restart',
    failFast: crashed([node]),
  });
  t.same(rung.counts, { alarm: { rung: 1 } });
  const rang = (await node.admin.log()).filter((e) => e.type === 'Rang');
  t.equal(rang.length, 1, 'it rang once');
  t.ok(rang[0].ts >= ts + RING_AFTER_MS, 'not before it was due', { due: ts + RING_AFTER_MS, rang: rang[0].ts });
});

t.test('GET /actors pages by service and state with counts, and refuses a bad query', async (t) => {
  const node = await startNode(t, { id: 'solo', app: APP, extraArgs: ['--passivate-after', '300ms'] });
  dumpOnFailure(t, () => [node]);
  for (const id of ['a', 'b', 'c', 'd', 'e']) await node.admin.publish('Count', { id });
  await node.admin.publish('Count', { id: 'c' });
  await node.admin.publish('Arm', { id: 'z' });

  const keys: (string | null)[] = [];
  let pages = 0;
  for (let after: string | null = null; ; pages++) {
    const query = `/actors?service=counter&limit=2${after === null ? '' : `&after=${encodeURIComponent(after)}`}`;
    const page = (await node.admin.request('GET', query)).body as ActorsAnswer;
    keys.push(...page.actors.map((a) => a.key));
    if (page.next === null) break;
    after = page.next;
  }
  t.same(keys, ['a', 'b', 'c', 'd', 'e'], 'every counter once, in key order, two a page');
  t.equal(pages, 2, 'the third page was the last');
  const counts = (await node.admin.request('GET', '/actors?limit=0')).body as ActorsAnswer;
  t.same(counts.actors, []);
  t.same(counts.counts, { counter: { counting: 5 }, alarm: { armed: 1 } }, 'counted per service and state');

  for (const bad of ['/actors?limit=-1', '/actors?limit=10001', '/actors?limit=x', '/actors?service=']) {
    const answer = await node.admin.request('GET', bad);
    t.equal(answer.status, 400, bad);
    t.equal((answer.body as { error: { code: string } }).error.code, 'TROUPE_BAD_REQUEST', bad);
  }
});
