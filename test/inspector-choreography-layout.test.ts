import t from 'tap';
import { layoutChoreography, mergeEventTypes, NOBODY, OUTSIDE } from '../inspector/choreography-layout.js';
import type { AppInfo, ServiceInfo } from '../inspector/feed.js';

const chart = { width: 0, height: 0, states: [], transitions: [] };
const service = (name: string, on: string[], nodes: string[]): ServiceInfo => ({ name, on, keyed: true, nodes, emits: [], chart });

const app: AppInfo = {
  name: 'shop',
  services: [service('a', ['Start', 'Back'], ['n1']), service('b', ['Mid'], ['n2'])],
  eventTypes: [
    { type: 'Start', emittedBy: [], consumedBy: ['a'], flags: ['no-emitter'] },
    { type: 'Mid', emittedBy: ['a'], consumedBy: ['b'], flags: [] },
    { type: 'Back', emittedBy: [], consumedBy: ['a'], flags: ['no-emitter'] },
    { type: 'Lost', emittedBy: ['b'], consumedBy: [], flags: ['no-consumer'] },
  ],
};

t.test('merges emitters the feeds revealed and clears the no-emitter flag they answer', async (t) => {
  const types = mergeEventTypes(app, new Map([['Back', new Set(['b'])], ['Extra', new Set(['b'])]]));
  const back = types.find((x) => x.type === 'Back')!;
  t.same(back.emittedBy, ['b']);
  t.same(back.flags, []);
  t.same(back.revealedBy, ['b']);
  t.same(types.find((x) => x.type === 'Extra')?.flags, ['no-consumer']);
  t.same(types.find((x) => x.type === 'Start')?.flags, ['no-emitter']);
});

t.test('draws one arrow per emitter and consumer, from outside and to nobody for flagged types', async (t) => {
  const map = layoutChoreography(app, new Map([['Back', new Set(['b'])]]));
  t.same(map.arrows.map((a) => `${a.type}:${a.from}>${a.to}`).sort(), ['Back:b>a', `Lost:b>${NOBODY}`, 'Mid:a>b', `Start:${OUTSIDE}>a`]);
  t.same(map.boxes.map((b) => b.id), [OUTSIDE, 'a', 'b', NOBODY]);
  t.same(map.boxes.find((b) => b.id === 'b')?.nodes, ['n2']);
});

t.test('layers boxes top down in the order events flow and keeps every label inside the drawing', async (t) => {
  const map = layoutChoreography(app, new Map([['Back', new Set(['b'])]]));
  const y = new Map(map.boxes.map((b) => [b.id, b.y]));
  t.ok(y.get(OUTSIDE)! < y.get('a')!);
  t.ok(y.get('a')! < y.get('b')!);
  t.ok(y.get('b')! < y.get(NOBODY)!);
  for (const a of map.arrows) {
    t.ok(a.labelX > 0 && a.labelX < map.width, `${a.type} label x inside`);
    t.ok(a.labelY > 0 && a.labelY < map.height, `${a.type} label y inside`);
  }
  const back = map.arrows.find((a) => a.type === 'Back')!;
  const right = Math.max(...map.boxes.map((b) => b.x + b.width));
  t.ok(back.labelX > right, 'an arrow going back up runs right of every box');
});
