/**
 * A short run of the frame fuzzer (`test/fuzz/frame-fuzz.ts`, `npm run fuzz` for long
 * ones): a fake authenticated peer sends mutated frames to a real node pair, and both
 * nodes stay up, log only valid events and keep publishing to each other.
 */
import t from 'tap';
import { fuzzFrames } from './fuzz/frame-fuzz.js';
import { dumpOnFailure, type NodeProcess } from './helpers/node-process.js';

/** Fixed, so that a failure here reproduces with `npm run fuzz -- --frames 400 --seed 15`. */
const SEED = 15;

t.test('mutated frames from an authenticated peer neither crash nor poison a node pair', async (t) => {
  const nodes: NodeProcess[] = [];
  dumpOnFailure(t, () => nodes);
  const summary = await fuzzFrames(t, { frames: 400, seed: SEED, started: (node) => nodes.push(node) });
  t.same(summary.problems, [], 'the checks after the run find nothing wrong', { summary });
  t.equal(summary.sent, 400, 'every frame was sent');
  t.ok(summary.accepted > 0, 'some frames were taken', { summary });
  t.ok(Object.values(summary.refused).reduce((a, b) => a + b, 0) > 0, 'some frames were refused', { summary });
  t.equal(summary.accepted + Object.values(summary.refused).reduce((a, b) => a + b, 0), summary.sent, 'every frame was either taken or refused');
});
