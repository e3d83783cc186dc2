/**
 * The choreography map: services as boxes, event types as labelled arrows from the
 * services that emit them to those that consume them. The app's declared map (`/app`) is
 * merged with the emitters the feeds reveal; a type nobody emits comes from `outside`
 * (published through the admin API), and a type nobody consumes goes to `nobody`.
 *
 * Layout is layered top down: `outside` first, then each service one layer below the
 * first service that feeds it (breadth first), `nobody` last. Arrows going down run
 * from bottom to top; arrows going back up bulge out to the right. Arrows between the
 * same two boxes fan out and stagger their labels so they do not sit on each other.
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
const LAYER_GAP = 150;
const MARGIN = 40;
/** Distance between arrows of one pair of boxes. */
const FAN = 26;
/** Room kept right of a label's anchor: half the widest label. */
const LABEL_ROOM = 110;
/** Distance between the lanes of arrows going back up: about a label wide, so labels side by side do not touch. */
const LANE_GAP = 150;

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
  // Arrows going back up each get their own lane out to the right, shorter spans inside.
  const span = (p: { from: string; to: string }): number => at.get(p.from)!.y - at.get(p.to)!.y;
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const back = pairs.filter((p) => p.from !== p.to && span(p) >= 0).sort((x, y) => span(x) - span(y));
  const arrows = pairs.map((p) => {
    const k = pairKey(p.from, p.to);
    const index = fanIndex.get(k) ?? 0;
    fanIndex.set(k, index + 1);
    const count = fanSize.get(k) ?? 1;
    const lane = back.indexOf(p);
    const curve = route(at.get(p.from)!, at.get(p.to)!, index, count, lane, right);
    // Labels of neighbouring lanes sit at different heights.
    const t = lane >= 0 ? (lane % 2 === 0 ? 0.5 : 0.36) : 0.5 + (index - (count - 1) / 2) * 0.2;
    const [labelX, labelY] = pointAt(curve, t);
    return { ...p, curve, labelX, labelY };
  });
  const width = Math.max(...boxes.map((b) => b.x + b.width), ...arrows.map((a) => a.labelX + LABEL_ROOM)) + MARGIN;
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
  // Boxes that arrows going back up leave or enter sit last in their layer, so those arrows leave their right sides free of other boxes.
  const looping = new Set(pairs.filter((p) => p.from !== p.to && column.get(p.to)! <= column.get(p.from)!).flatMap((p) => [p.from, p.to]));
  const ordered = [...services.filter((s) => !looping.has(s)), ...services.filter((s) => looping.has(s))];
  const ids = [...(used.has(OUTSIDE) ? [OUTSIDE] : []), ...ordered, ...(used.has(NOBODY) ? [NOBODY] : [])];
  const shift = used.has(OUTSIDE) ? 0 : 1;
  const rows = new Map<number, number>();
  return ids.map((id) => {
    const col = column.get(id)! - shift;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    const kind = id === OUTSIDE ? 'outside' : id === NOBODY ? 'nobody' : 'service';
    const nodes = app.services.find((s) => s.name === id)?.nodes ?? [];
    return { id, kind, nodes, x: MARGIN + row * COLUMN_GAP, y: MARGIN + col * LAYER_GAP, width: BOX_WIDTH, height: BOX_HEIGHT };
  });
}

type Curve = ChoreoArrow['curve'];

/** The point of a cubic Bézier curve at `t` (0 to 1). */
function pointAt(c: Curve, t: number): [number, number] {
  const u = 1 - t;
  const a = u * u * u, b = 3 * u * u * t, d = 3 * u * t * t, e = t * t * t;
  return [a * c[0] + b * c[2] + d * c[4] + e * c[6], a * c[1] + b * c[3] + d * c[5] + e * c[7]];
}

/**
 * A curve from `a` to `b`, the `index`th of `count` between them: bottom to top going
 * down a layer or more, fanned sideways; out of the right sides and back in, in its own
 * `lane` right of every box (`right` is the rightmost box edge), going up or within a
 * layer; a loop on the right for a self-arrow.
 */
function route(a: ChoreoBox, b: ChoreoBox, index: number, count: number, lane: number, right: number): Curve {
  const offset = (index - (count - 1) / 2) * FAN;
  if (a.id === b.id) {
    const x = a.x + a.width;
    const reach = 60 + index * FAN;
    return [x, a.y + 14, x + reach, a.y - 10, x + reach, a.y + a.height + 10, x, a.y + a.height - 14];
  }
  if (b.y > a.y) {
    const sx = a.x + a.width / 2 + offset;
    const sy = a.y + a.height;
    const tx = b.x + b.width / 2 + offset;
    const ty = b.y;
    const bend = (ty - sy) / 2;
    return [sx, sy, sx + offset, sy + bend, tx + offset, ty - bend, tx, ty];
  }
  const sx = a.x + a.width;
  const sy = a.y + a.height / 2 + offset / 2;
  const tx = b.x + b.width;
  const ty = b.y + b.height / 2 - offset / 2;
  // A cubic curve reaches 3/4 of the way to its control points: clear every box by 30 px.
  const bulge = (right + 30 - Math.max(sx, tx)) / 0.75 + lane * LANE_GAP;
  return [sx, sy, sx + bulge, sy, tx + bulge, ty, tx, ty];
}
