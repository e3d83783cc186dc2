/**
 * A full disk is a clear refusal: on a small tmpfs this test mounts itself, filled to the
 * last byte, publishes answer 507 `TROUPE_DISK_FULL` (admin API and `/client`), a peer's
 * events are not acknowledged, nothing is written, the node stays up, and once space is
 * freed it writes again by itself. Skipped where mounting a tmpfs is refused (not root).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import WebSocket from 'ws';
import { decodeReply, encodePublish, wirePublish } from '../protocol/client-codec.js';
import type { ClientReply } from '../protocol/client-message.js';
import { waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, startNode } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const run = promisify(execFile);
/** Big enough for LevelDB and the node's 16 MiB reserve, small enough to fill at once. */
const TMPFS_SIZE = '48m';

/** Mounts a fresh tmpfs; the reason it cannot, if it cannot. */
async function mountTmpfs(): Promise<{ dir: string } | { skip: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-disk-full-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', dir]);
    return { dir };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Writes `file` until the file system refuses: afterwards not one more block fits. */
async function fill(file: string): Promise<void> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  try {
    for (let size = chunk.length; size >= 1; ) {
      try {
        await handle.write(chunk.subarray(0, size));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        size = Math.floor(size / 2);
      }
    }
  } finally {
    await handle.close();
  }
}

/** Publishes one event over `/client` and returns the node's answer to it. */
function publishOverClient(wsUrl: string, type: string): Promise<ClientReply> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${wsUrl}/client`, { perMessageDeflate: false });
    socket.on('error', reject);
    socket.on('open', function clientOnOpen() {
      socket.send(encodePublish(7, [wirePublish({ type, data: { n: 1 } })]), { binary: true });
    });
    socket.on('message', function clientOnMessage(data: Buffer) {
      const reply = decodeReply(data);
      if (reply.type !== 'published') return;
      socket.close();
      resolve(reply);
    });
  });
}

const mounted = await mountTmpfs();
const skip = 'skip' in mounted ? mounted.skip : false;

t.test('a full disk answers 507 TROUPE_DISK_FULL, writes nothing, and the node writes again by itself once space is freed', { skip }, async (t) => {
  if (!('dir' in mounted)) return;
  const { dir } = mounted;
  t.teardown(async () => {
    await run('umount', ['-l', dir]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  const n1 = await startNode(t, { id: 'n1', secret: 'disk', data: join(dir, 'n1') });
  const n2 = await startNode(t, { id: 'n2', secret: 'disk', peers: [n1.wsUrl] });
  const nodes = [n1, n2];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['n1', 'n2']]);
  await n1.admin.publish('Before', { n: 0 });

  const filler = join(dir, 'filler');
  await fill(filler);
  const refused = await n1.admin.publishRaw('WhileFull', { n: 1 });
  t.equal(refused.status, 507, 'POST /events answers 507', { body: refused.text });
  t.equal((refused.body as { error?: { code?: string } })?.error?.code, 'TROUPE_DISK_FULL', 'with the code TROUPE_DISK_FULL');
  const viaClient = await publishOverClient(n1.wsUrl, 'WhileFullClient');
  const answer = viaClient.type === 'published' ? viaClient.answers[0] : undefined;
  t.equal(answer !== undefined && 'error' in answer ? answer.error.code : undefined, 'TROUPE_DISK_FULL', 'a /client publish is refused with TROUPE_DISK_FULL');
  await n1.waitForRecord((r) => r.code === 'TROUPE_DISK_FULL' && r.level === 50, 'the disk-full error');

  const fromPeer = await n2.admin.publish('FromPeer', { n: 2 });
  const n2Status = await n2.admin.status();
  t.ok((n2Status.peers.find((p) => p.id === 'n1')?.outbox ?? 0) > 0, 'n1 does not acknowledge the peer\'s event while its disk is full');
  t.same((await n1.admin.log()).map((e) => e.type), ['Before'], 'n1 wrote nothing of any of it');
  t.ok(n1.running, 'n1 is up');

  await unlink(filler);
  const accepted = await waitFor(() => n1.admin.publishRaw('After', { n: 3 }), {
    message: 'a publish to be accepted once space is freed',
    until: (a) => a.status === 201,
    describe: (a) => `${a.status} ${a.text}`,
    failFast: crashed(nodes),
    timeout: 30_000,
  });
  t.equal(accepted.status, 201, 'POST /events answers 201 again, without a restart');
  await waitFor(() => n1.admin.log(), {
    message: 'n1 to log the peer\'s event too',
    until: (log) => log.some((e) => e.id === fromPeer.id),
    failFast: crashed(nodes),
  });
  const types = (await n1.admin.log()).map((e) => e.type).sort();
  t.same(types, ['After', 'Before', 'FromPeer'], 'n1 logs exactly what was accepted');

  await n1.stop();
  await n1.restart();
  // The restart's retirement of n1's earlier start (`protocol/retirement.ts`) is new; the rest is as it was.
  t.same((await n1.admin.log()).map((e) => e.type).filter((type) => type !== 'troupe.retired').sort(), types, 'after a restart the store holds the same whole events');
});
