/**
 * The choreography map: services as boxes, event types as labelled arrows from the
 * services that emit them to those that consume them. The app's declared map (`/app`) is
 * merged with the emitters the feeds reveal; a type nobody emits comes from `outside`
 * (published through the admin API), and a type nobody consumes goes to `nobody`.
 *
 * Layout is layered left to right: `outside` first, then each service one column after
 * the first service that feeds it (breadth first), `nobody` last. Arrows between the
 * same two boxes fan out so their labels do not sit on each other.
 */
import type { AppInfo, EventTypeInfo } from './feed.js';

/** A box on the map. */
export interface ChoreoBox {
  readonly id: string;
  readonly kind: 'service' | 'outside' | 'nobody';
  /** Nodes the service is placed on. */
  readonly nodes: readonly string[];
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** An arrow: one event type from one box to another, as a cubic Bézier curve. */
export interface ChoreoArrow {
  readonly type: string;
  readonly from: string;
  readonly to: string;
  readonly flags: EventTypeInfo['flags'];
  /** The emitter came from the feeds, not from the app's definition. */
  readonly revealed: boolean;
  /** `M` point and three `C` points. */
  readonly curve: readonly [number, number, number, number, number, number, number, number];
  readonly labelX: number;
  readonly labelY: number;
}

/** The laid-out map, with the merged list of types. */
export interface ChoreographyLayout {
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly ChoreoBox[];
  readonly arrows: readonly ChoreoArrow[];
  readonly types: readonly (EventTypeInfo & { readonly revealedBy: readonly string[] })[];
}

export const OUTSIDE = 'outside';
export const NOBODY = 'nobody';
const BOX_WIDTH = 160;
const BOX_HEIGHT = 52;
const COLUMN_GAP = 300;
const ROW_GAP = 150;
const MARGIN = 40;
const FAN = 30;

/**
 * The app's event types with the revealed emitters (type → services) merged in, flags
 * recomputed; a revealed type the app does not list is added.
 */
export function mergeEventTypes(app: AppInfo, revealed: ReadonlyMap<string, ReadonlySet<string>>): ChoreographyLayout['types'] {
  const types = new Map(app.eventTypes.map((t) => [t.type, t]));
  for (const type of revealed.keys()) if (!types.has(type)) types.set(type, { type, emittedBy: [], consumedBy: [], flags: [] });
  return [...types.values()]
    .map((t) => {
      const extra = [...(revealed.get(t.type) ?? [])].filter((s) => !t.emittedBy.includes(s)).sort();
      const emittedBy = [...t.emittedBy, ...extra];
      const consumedBy = t.consumedBy.length > 0 ? t.consumedBy : app.services.filter((s) => s.on.includes(t.type)).map((s) => s.name);
      const flags: EventTypeInfo['flags'] = [
        ...(consumedBy.length === 0 ? (['no-consumer'] as const) : []),
        ...(emittedBy.length === 0 ? (['no-emitter'] as const) : []),
      ];
      return { type: t.type, emittedBy, consumedBy, flags, revealedBy: extra };
    })
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** Lays out the map of `app` with the revealed emitters merged in. */
export function layoutChoreography(app: AppInfo, revealed: ReadonlyMap<string, ReadonlySet<string>>): ChoreographyLayout {
  const types = mergeEventTypes(app, revealed);
  const pairs: { type: string; from: string; to: string; flags: EventTypeInfo['flags']; revealed: boolean }[] = [];
  for (const t of types) {
    for (const from of t.emittedBy.length > 0 ? t.emittedBy : [OUTSIDE]) {
      for (const to of t.consumedBy.length > 0 ? t.consumedBy : [NOBODY]) {
        pairs.push({ type: t.type, from, to, flags: t.flags, revealed: t.revealedBy.includes(from) });
      }
    }
  }
  const services = app.services.map((s) => s.name);
  for (const p of pairs) for (const id of [p.from, p.to]) if (id !== OUTSIDE && id !== NOBODY && !services.includes(id)) services.push(id);
  const column = columns(services, pairs);
  const boxes = placeBoxes(app, services, column, pairs);
  const at = new Map(boxes.map((b) => [b.id, b]));
  const fanIndex = new Map<string, number>();
  const fanSize = new Map<string, number>();
  for (const p of pairs) fanSize.set(pairKey(p.from, p.to), (fanSize.get(pairKey(p.from, p.to)) ?? 0) + 1);
  const arrows = pairs.map((p) => {
    const k = pairKey(p.from, p.to);
    const index = fanIndex.get(k) ?? 0;
    fanIndex.set(k, index + 1);
    const offset = (index - ((fanSize.get(k) ?? 1) - 1) / 2) * FAN;
    const curve = route(at.get(p.from)!, at.get(p.to)!, offset);
    const [x0, y0, x1, y1, x2, y2, x3, y3] = curve;
    return { ...p, curve, labelX: (x0 + 3 * x1 + 3 * x2 + x3) / 8, labelY: (y0 + 3 * y1 + 3 * y2 + y3) / 8 };
  });
  const width = Math.max(...boxes.map((b) => b.x + b.width)) + MARGIN;
  const height = Math.max(...boxes.map((b) => b.y + b.height), ...arrows.map((a) => a.labelY + 20)) + MARGIN;
  return { width, height, boxes, arrows, types };
}

function pairKey(from: string, to: string): string {
  return `${from}>${to}`;
}

/** Breadth first from `outside` (or from services nothing feeds): a box's column is one after its first feeder's. */
function columns(services: readonly string[], pairs: readonly { from: string; to: string }[]): Map<string, number> {
  const column = new Map<string, number>([[OUTSIDE, 0]]);
  const queue = [OUTSIDE];
  const fed = new Set(pairs.filter((p) => p.from !== p.to).map((p) => p.to));
  const seeds = [...services.filter((s) => !fed.has(s)), ...services];
  for (;;) {
    while (queue.length > 0) {
      const from = queue.shift()!;
      for (const p of pairs) {
        if (p.from !== from || p.to === NOBODY || column.has(p.to)) continue;
        column.set(p.to, column.get(from)! + 1);
        queue.push(p.to);
      }
    }
    const next = seeds.find((s) => !column.has(s));
    if (next === undefined) break;
    column.set(next, 1);
    queue.push(next);
  }
  column.set(NOBODY, Math.max(0, ...column.values()) + 1);
  return column;
}

function placeBoxes(app: AppInfo, services: readonly string[], column: Map<string, number>, pairs: readonly { from: string; to: string }[]): ChoreoBox[] {
  const used = new Set(pairs.flatMap((p) => [p.from, p.to]));
  const ids = [...(used.has(OUTSIDE) ? [OUTSIDE] : []), ...services, ...(used.has(NOBODY) ? [NOBODY] : [])];
  const shift = used.has(OUTSIDE) ? 0 : 1;
  const rows = new Map<number, number>();
  return ids.map((id) => {
    const col = column.get(id)! - shift;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    const kind = id === OUTSIDE ? 'outside' : id === NOBODY ? 'nobody' : 'service';
    const nodes = app.services.find((s) => s.name === id)?.nodes ?? [];
    return { id, kind, nodes, x: MARGIN + col * COLUMN_GAP, y: MARGIN + 30 + row * ROW_GAP, width: BOX_WIDTH, height: BOX_HEIGHT };
  });
}

type Curve = ChoreoArrow['curve'];

/** A curve from `a` to `b`: right side to left side going forwards, under the boxes going back, a loop above for a self-arrow. */
function route(a: ChoreoBox, b: ChoreoBox, offset: number): Curve {
  if (a.id === b.id) {
    const x = a.x + a.width / 2;
    const lift = 50 + Math.abs(offset);
    return [x - 20, a.y, x - 50, a.y - lift, x + 50, a.y - lift, x + 20, a.y];
  }
  if (b.x > a.x) {
    const sx = a.x + a.width;
    const sy = a.y + a.height / 2 + offset / 3;
    const tx = b.x;
    const ty = b.y + b.height / 2 + offset / 3;
    const bend = (tx - sx) / 2;
    return [sx, sy, sx + bend, sy + offset, tx - bend, ty + offset, tx, ty];
  }
  const sx = a.x + a.width / 2 + offset / 2;
  const tx = b.x + b.width / 2 - offset / 2;
  const sy = a.y + a.height;
  const ty = b.y + b.height;
  const drop = 60 + Math.abs(offset) * 1.5 + Math.abs(a.x - b.x) / 8;
  return [sx, sy, sx, Math.max(sy, ty) + drop, tx, Math.max(sy, ty) + drop, tx, ty];
}
