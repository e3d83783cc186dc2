import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Profiler } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleProfileRequest } from '../bench/cpu-profiler.js';
import { renderFlameGraph } from '../bench/flame-graph.js';
import { areaOf, renderProfileSummary, summarizeProfile } from '../bench/profile-summary.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '0' });

t.test('a frame belongs to the library, troupe folder or V8 pseudo-frame it comes from', async (t) => {
  t.equal(areaOf(frame('microstep', 'file:///app/node_modules/xstate/dist/raise.cjs.js')), 'XState');
  t.equal(areaOf(frame('_write', 'file:///app/node_modules/classic-level/chained-batch.js')), 'LevelDB (classic-level)');
  t.equal(areaOf(frame('put', 'file:///app/node_modules/abstract-level/abstract-chained-batch.js')), 'LevelDB (classic-level)');
  t.equal(areaOf(frame('x', 'file:///app/node_modules/@scope/pkg/index.js')), '@scope/pkg', 'an unnamed package goes by its own name');
  t.equal(areaOf(frame('deliver', 'file:///work/main/dist/runtime/fabric.js')), 'troupe runtime');
  t.equal(areaOf(frame('encodeEvent', 'file:///work/main/protocol/codec.ts')), 'troupe protocol (codec, clocks)');
  t.equal(areaOf(frame('sink', 'file:///work/main/dist/bench/apps/sink.js')), 'benchmark app and publisher');
  t.equal(areaOf(frame('listOnTimeout', 'node:internal/timers')), 'Node.js core');
  t.equal(areaOf(frame('(garbage collector)')), 'GC');
  t.equal(areaOf(frame('(program)')), 'native outside JavaScript (V8, libuv)');
  t.equal(areaOf(frame('(idle)')), '(idle)');
  t.equal(areaOf(frame('')), null, 'a native function without a script has no area of its own');
  t.equal(areaOf(frame('f', 'file:///elsewhere/x.js')), 'other');
});

// root → (idle) | ws.send → native writev | xstate microstep | (garbage collector)
const PROFILE: Profiler.Profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 5, 6] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('send', 'file:///app/node_modules/ws/lib/sender.js', 353), children: [4] },
    { id: 4, callFrame: frame('') },
    { id: 5, callFrame: frame('microstep', 'file:///app/node_modules/xstate/dist/raise.cjs.js', 2149) },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  startTime: 0,
  endTime: 10_000,
  // Each sample counts the time up to the next one, the last up to endTime.
  samples: [2, 4, 4, 5, 6, 2],
  timeDeltas: [0, 4_000, 1_000, 1_000, 1_000, 1_000],
};

t.test('self time is summed per area and function, idle left out, native calls counted to their caller', async (t) => {
  const summary = summarizeProfile(PROFILE);
  t.equal(summary.spanMs, 10);
  t.equal(summary.busyMs, 4, 'idle: 4 ms at the start, 2 at the end');
  t.same(
    summary.areas.map((a) => [a.name, a.ms, a.share]),
    [
      ['ws', 2, 0.5],
      ['XState', 1, 0.25],
      ['GC', 1, 0.25],
    ],
  );
  t.same(summary.functions[0], { name: '(native)', where: 'in send sender.js:354', area: 'ws', ms: 2, share: 0.5 }, 'named after its caller');
  t.same(summary.functions[1], { name: 'microstep', where: 'raise.cjs.js:2150', area: 'XState', ms: 1, share: 0.25 });
  t.equal(summarizeProfile(PROFILE, 1).functions.length, 1, 'only the top functions');
  const text = renderProfileSummary('rx', summary);
  t.match(text, /^### rx\n/);
  t.match(text, /Busy 4 ms of 10 ms profiled \(40\.0% of one core/);
  t.match(text, /\| ws \| 2 ms \| 50\.0% \|/);
  const tiny = renderProfileSummary('rx', { ...summary, areas: [...summary.areas, { name: 'detect-libc', ms: 0.001, share: 0.0002 }] });
  t.notMatch(tiny, /detect-libc/, 'an area under 0.1% is left out of the table');
  t.match(text, /\| `microstep` \| raise\.cjs\.js:2150 \| XState \| 1 ms \| 25\.0% \|/);
});

t.test('the flame graph draws each call path as wide as its time, coloured by area, idle left out', async (t) => {
  const svg = renderFlameGraph(PROFILE, 'rx <under load>');
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.match(svg, />rx &lt;under load&gt;<\/text>/, 'the title is escaped');
  const box = (name: string): string | undefined => new RegExp(`<title>${name}[^<]*</title><rect [^>]*width="([\\d.]+)"`).exec(svg)?.[1];
  t.equal(box('all'), '1200.0', 'the busy time spans the width');
  t.equal(box('send'), '600.0', 'ws.send and the native call under it: 2 of 4 ms');
  t.equal(box('\\(anonymous\\) · ws'), '600.0', 'the native call is drawn in its caller\'s area');
  t.equal(box('microstep'), '300.0');
  t.equal(box('\\(garbage collector\\)'), '300.0');
  t.notMatch(svg, /idle/, 'idle time is not drawn');
  t.match(svg, />ws 50\.0%<\/text>/, 'the legend gives each area its share');
  t.match(svg, /<title>microstep raise\.cjs\.js:2150 · XState · 1\.0 ms, 25\.0% \(self 1\.0 ms\)<\/title><rect [^>]*fill="#7b61c9"/);
  t.match(renderFlameGraph({ nodes: [{ id: 1, callFrame: frame('(root)') }], startTime: 0, endTime: 0 }, 'empty'), /all \(0 ms busy\)/, 'an empty profile still draws');
});

t.test('a profile without samples sums to nothing rather than dividing by zero', async (t) => {
  const summary = summarizeProfile({ nodes: [{ id: 1, callFrame: frame('(root)') }], startTime: 5, endTime: 5 });
  t.same(summary, { spanMs: 0, busyMs: 0, areas: [], functions: [] });
  t.match(renderProfileSummary('empty', summary), /Busy 0 ms of 0 ms profiled \(0\.0%/);
});

t.test('the profiler runs between a start and a stop request and writes a profile the summary reads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-profile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'p.cpuprofile');
  t.same(await handleProfileRequest({ id: 1, cmd: 'profile-stop', path }), { id: 1, samples: 0, error: 'not profiling' });
  t.same(await handleProfileRequest({ id: 2, cmd: 'profile-start', intervalUs: 100 }), { id: 2, samples: 0 });
  t.same(await handleProfileRequest({ id: 3, cmd: 'profile-start', intervalUs: 100 }), { id: 3, samples: 0, error: 'already profiling' });
  // Keep the thread busy until the profiler has surely taken samples.
  const until = performance.now() + 50;
  let spin = 0;
  while (performance.now() < until) spin += Math.sqrt(spin + 1);
  t.ok(spin > 0);
  const stopped = await handleProfileRequest({ id: 4, cmd: 'profile-stop', path });
  t.equal(stopped.error, undefined);
  t.ok(stopped.samples > 0, 'samples were taken');
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profiler.Profile;
  t.equal(profile.samples?.length, stopped.samples, 'the file holds what the reply counted');
  t.ok(summarizeProfile(profile).busyMs > 0);
  t.same(await handleProfileRequest({ id: 5, cmd: 'profile-stop', path }), { id: 5, samples: 0, error: 'not profiling' }, 'stopped means stopped');
});
