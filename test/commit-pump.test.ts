import t from 'tap';
import pino from 'pino';
import { CommitPump } from '../runtime/commit-pump.js';
import { waitFor } from './helpers/wait-for.js';

/** A pump over numbered batches whose writes finish only when the test says. */
function setup() {
  const log: string[] = [];
  let work = 0;
  let next = 1;
  const writes: (() => void)[] = [];
  let drained = 0;
  const pump = new CommitPump<number>({
    hasWork: () => work > 0,
    prepare: async () => {
      work = 0;
      log.push(`prepare ${next}`);
      return next++;
    },
    write: (batch) => {
      log.push(`write ${batch}`);
      return new Promise<void>((resolve) => writes.push(() => {
        log.push(`written ${batch}`);
        resolve();
      }));
    },
    drained: () => drained++,
    log: pino({ level: 'silent' }),
  });
  const add = (): void => {
    work++;
    pump.kick();
  };
  const finishWrite = (): void => (writes.shift() as () => void)();
  return { pump, add, finishWrite, log, writes, drained: () => drained };
}

t.test('the next batch is prepared while the previous one is written, and writes go in order', async (t) => {
  const { pump, add, finishWrite, log, writes, drained } = setup();
  add();
  await waitFor(() => writes.length, { message: 'batch 1 being written', until: (n) => n === 1, timeout: 5000, interval: 1 });
  add();
  await waitFor(() => log.includes('prepare 2'), { message: 'batch 2 prepared', timeout: 5000, interval: 1 });
  t.notOk(log.includes('write 2'), 'batch 2 waits for batch 1 on disk');
  finishWrite();
  await waitFor(() => writes.length, { message: 'batch 2 being written', until: (n) => n === 1, timeout: 5000, interval: 1 });
  finishWrite();
  await pump.idle;
  t.same(log, ['prepare 1', 'write 1', 'prepare 2', 'written 1', 'write 2', 'written 2']);
  t.equal(drained(), 1, 'told once when all was written');
});

t.test('work that arrives during a write gathers into one batch', async (t) => {
  const { pump, add, finishWrite, log, writes } = setup();
  add();
  await waitFor(() => writes.length, { message: 'batch 1 being written', until: (n) => n === 1, timeout: 5000, interval: 1 });
  add();
  add();
  add();
  await waitFor(() => log.includes('prepare 2'), { message: 'batch 2 prepared', timeout: 5000, interval: 1 });
  finishWrite();
  await waitFor(() => writes.length, { message: 'batch 2 being written', until: (n) => n === 1, timeout: 5000, interval: 1 });
  finishWrite();
  await pump.idle;
  t.equal(log.filter((l) => l.startsWith('prepare')).length, 2, 'three arrivals, one batch');
});

t.test('a pump without work stops and is idle', async (t) => {
  const { pump, log } = setup();
  pump.kick();
  await pump.idle;
  t.same(log, []);
});
