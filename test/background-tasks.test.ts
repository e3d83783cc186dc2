/**
 * Pins the fabric's background tasks: `idle()` waits for every running task, including
 * those started while it waited, and a task that fails is logged, never thrown.
 */
import t from 'tap';
import pino from 'pino';
import { Writable } from 'node:stream';
import { BackgroundTasks } from '../runtime/background-tasks.js';

/** A logger that keeps its lines. */
function recordingLog(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino(sink), lines };
}

t.test('idle waits for every task, including those started while it waited', async (t) => {
  const tasks = new BackgroundTasks(recordingLog().log);
  const done: string[] = [];
  let releaseFirst: () => void = () => {};
  tasks.run(new Promise<void>((resolve) => (releaseFirst = resolve)).then(() => {
    done.push('first');
    tasks.run(Promise.resolve().then(() => void done.push('second, started by the first')));
  }));
  t.equal(tasks.size, 1);
  const idle = tasks.idle().then(() => done.push('idle'));
  releaseFirst();
  await idle;
  t.same(done, ['first', 'second, started by the first', 'idle']);
  t.equal(tasks.size, 0);
});

t.test('a task that fails is logged and counted out, and idle does not reject', async (t) => {
  const { log, lines } = recordingLog();
  const tasks = new BackgroundTasks(log);
  tasks.run(Promise.reject(new Error('disk on fire')));
  await tasks.idle();
  t.equal(tasks.size, 0);
  t.match(lines.join(''), /background fabric task failed/);
  t.match(lines.join(''), /disk on fire/);
});
