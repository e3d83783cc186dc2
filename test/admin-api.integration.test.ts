/**
 * The admin API's workflow views on a real node: dead letters and their replay, and the
 * trace of one correlation id.
 */
import t from 'tap';
import { dumpOnFailure, startNode } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

interface DeadLetterView {
  service: string;
  key: string;
  eventId: string;
  error: { code: string; message: string };
}

interface TraceView {
  correlationId: string;
  events: { id: string; type: string; causationId: string | null; pos: number }[];
  buffered: unknown[];
  outboxes: unknown[];
  deadLetters: DeadLetterView[];
}

t.test('a failing event becomes a dead letter that replays once the service can take it', async (t) => {
  const node = await startNode(t, { id: 'solo', app: 'test/fixtures/apps/flaky.ts' });
  dumpOnFailure(t, () => [node]);
  const job = await node.admin.publish('Job', { id: 'j1' }, 'wf-1');

  const letters = (await node.admin.request('GET', '/dlq')).body as DeadLetterView[];
  t.match(letters, [{ service: 'worker', key: 'j1', eventId: job.id, error: { code: 'TROUPE_SERVICE_FAILED', message: /not enabled/ } }],
    'the failed event is filed for its service, with the error');
  t.match(await node.admin.actors(), [{ service: 'worker', key: 'j1', state: 'disabled', status: 'active' }],
    'the actor was rolled back and goes on');

  const early = await node.admin.request('POST', `/dlq/worker/${job.id}/replay`);
  t.equal(early.status, 409, 'a replay that fails again is refused');
  t.match(early.body, { error: { code: 'TROUPE_SERVICE_FAILED' } });

  await node.admin.publish('Enable', { id: 'j1' }, 'wf-1');
  const replay = await node.admin.request('POST', `/dlq/worker/${job.id}/replay`);
  t.equal(replay.status, 200, 'the replay succeeds once the service is ready');
  t.same((await node.admin.request('GET', '/dlq')).body, [], 'the dead letter is gone');
  const log = await node.admin.log();
  t.match(log.at(-1), { type: 'JobDone', causationId: job.id, correlationId: 'wf-1' }, 'what the replay emitted is logged with its cause');

  const missing = await node.admin.request('POST', `/dlq/worker/${job.id}/replay`);
  t.equal(missing.status, 404);
  t.match(missing.body, { error: { code: 'TROUPE_NOT_FOUND' } });
});

t.test('the trace of a correlation id lists its events in causal order with their causes', async (t) => {
  const node = await startNode(t, { id: 'solo', app: 'test/fixtures/apps/flaky.ts' });
  dumpOnFailure(t, () => [node]);
  await node.admin.publish('Enable', { id: 'j2' }, 'wf-2');
  const job = await node.admin.publish('Job', { id: 'j2' }, 'wf-2');
  await node.admin.publish('Job', { id: 'other' }, 'wf-3');

  const trace = await waitFor(async () => (await node.admin.request('GET', '/trace/wf-2')).body as TraceView, {
    until: (tr) => tr.events.length === 3,
    message: () => `the trace of wf-2 to hold three events\n${node.tail()}`,
    describe: (tr) => JSON.stringify(tr),
  });
  t.same(trace.events.map((e) => e.type), ['Enable', 'Job', 'JobDone'], 'only this workflow, in delivery order');
  t.equal(trace.events[2].causationId, job.id, 'JobDone names the Job that caused it');
  t.ok(trace.events.every((e, i) => i === 0 || e.pos > trace.events[i - 1].pos), 'positions ascend');
  t.same(trace.buffered, [], 'nothing waits in the causal buffer');
  t.same(trace.deadLetters, []);

  const none = (await node.admin.request('GET', '/trace/nobody')).body as TraceView;
  t.same(none.events, [], 'an unknown correlation id has an empty trace');
});
