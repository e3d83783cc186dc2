import t, { type Test } from 'tap';
import pino from 'pino';
import { startNode } from '../runtime/node.js';

/** A pino logger writing JSON lines into `lines`. */
function capturing(lines: string[], base?: Record<string, unknown>): pino.Logger {
  return pino({ base }, { write: (chunk: string) => void lines.push(...chunk.trim().split('\n')) });
}

async function runNode(t: Test, id: string, log: pino.Logger): Promise<void> {
  const node = await startNode({ id, secret: 's', dataDir: `${t.testdir()}/${id}`, port: 0, services: [], peers: [], relaxed: true, log });
  await node.publish({ type: 'Ping' });
  await node.stop();
}

t.test('every line a node logs carries its id, even through a logger given without one', async (t) => {
  const lines: string[] = [];
  await runNode(t, 'embedded', capturing(lines));
  t.ok(lines.length >= 2, 'it logged listening and stopped');
  t.same(lines.map((l) => (JSON.parse(l) as { node?: string }).node).filter((node) => node !== 'embedded'), []);
});

t.test('a logger that already names the node is used as it is, without a second node field', async (t) => {
  const lines: string[] = [];
  await runNode(t, 'named', capturing(lines, { node: 'named' }));
  t.ok(lines.length >= 2, 'it logged listening and stopped');
  t.same(lines.filter((l) => l.split('"node":').length !== 2), [], 'one node field a line');
});
