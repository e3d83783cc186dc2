import pino from 'pino';
import t from 'tap';
import { TroupeError } from '../protocol/troupe-error.js';
import { DiskGuard, isDiskFull } from '../runtime/disk-guard.js';
import { SimulatedTime } from '../testing/simulated-time.js';

const silent = pino({ level: 'silent' });

function guard(free: { bytes: number; measured: number }, time = new SimulatedTime(0)) {
  let room = 0;
  const disk = new DiskGuard({
    dir: '/data',
    reserveBytes: 100,
    clock: time,
    log: silent,
    onRoom: () => room++,
    freeSpace: async () => {
      free.measured++;
      return free.bytes;
    },
  });
  return { disk, time, rooms: () => room };
}

t.test('below the reserve there is no room, the refusal is TROUPE_DISK_FULL, and room comes back by itself on the clock', async (t) => {
  const free = { bytes: 50, measured: 0 };
  const { disk, time, rooms } = guard(free);
  t.equal(await disk.hasRoom(), false);
  t.ok(disk.full);
  t.equal(disk.refusal().code, 'TROUPE_DISK_FULL');
  const waiting = disk.waitForRoom();
  time.fireNext();
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(disk.full, 'still full while under the reserve');
  free.bytes = 150;
  while (disk.full && time.fireNext()) await new Promise((resolve) => setImmediate(resolve));
  await waiting;
  t.notOk(disk.full);
  t.equal(rooms(), 1, 'told once that room is back');
  t.equal(await disk.hasRoom(), true);
});

t.test('plenty of room is trusted for a second; little room is measured before every batch', async (t) => {
  const free = { bytes: 10_000, measured: 0 };
  const { disk, time } = guard(free);
  await disk.hasRoom();
  await disk.hasRoom();
  t.equal(free.measured, 1, 'plenty: measured once');
  time.moveTo(1001);
  free.bytes = 200;
  await disk.hasRoom();
  await disk.hasRoom();
  t.equal(free.measured, 3, 'little room: measured each time');
});

t.test('a write that failed for lack of space makes the disk full; a guard that stops rejects who waits', async (t) => {
  const { disk } = guard({ bytes: 0, measured: 0 });
  disk.writeFailed(new TroupeError('TROUPE_DISK_FULL', 'no space'));
  t.ok(disk.full);
  const waiting = disk.waitForRoom();
  disk.stop();
  await t.rejects(waiting, { code: 'TROUPE_DISK_FULL' });
});

t.test('isDiskFull knows LevelDB\'s and the OS\'s words for a full disk, through causes', async (t) => {
  const level = Object.assign(new Error('IO error: /d/000003.log: No space left on device'), { code: 'LEVEL_IO_ERROR' });
  t.ok(isDiskFull(new TroupeError('TROUPE_STORE_FAILED', 'commit failed', { cause: level })));
  t.ok(isDiskFull(Object.assign(new Error('write failed'), { code: 'ENOSPC' })));
  t.notOk(isDiskFull(new TroupeError('TROUPE_STORE_FAILED', 'commit failed: Corruption: bad block')));
  t.notOk(isDiskFull('No space left on device'));
});
