/**
 * A V8 CPU profile drawn as a flame graph in plain SVG (no viewer needed; each box names
 * its function, file and time on hover). Icicle layout: the callers on top, what they
 * call below, each box as wide as the time spent in it and its callees; boxes coloured by
 * area (`profile-summary.ts`), so XState, LevelDB or GC read at a glance. Idle time is
 * left out; the same function called from the same caller is one box.
 */
import type { Profiler, Runtime } from 'node:inspector';
import { areaOf, IDLE, placeOf, selfTimes, summarizeProfile } from './profile-summary.js';
import { escapeXml } from './results-chart.js';

interface Box {
  readonly name: string;
  readonly where: string;
  readonly area: string;
  selfUs: number;
  totalUs: number;
  readonly children: Map<string, Box>;
}

const WIDTH = 1200;
const ROW = 17;
const LEGEND_ROW = 16;
/** Boxes narrower than this (px) are not drawn, nor what they call. */
const MIN_WIDTH = 0.4;
const CHAR_WIDTH = 6.4;

const AREA_COLOURS: Readonly<Record<string, string>> = {
  XState: '#7b61c9',
  GC: '#d64545',
  'LevelDB (classic-level)': '#2f855a',
  msgpackr: '#d69e2e',
  'troupe runtime': '#2b6cb0',
  'troupe protocol (codec, clocks)': '#4a90d9',
  ws: '#dd6b20',
  'Node.js core': '#718096',
  'native outside JavaScript (V8, libuv)': '#a0aec0',
  'benchmark app and publisher': '#b7791f',
  'pino (logging)': '#9c4221',
};
const OTHER_COLOUR = '#cbd5e0';

/** The profile's call tree with equal frames under one caller merged, idle dropped. */
function mergedTree(profile: Profiler.Profile): Box {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = selfTimes(profile);
  const root: Box = { name: 'all', where: '', area: '', selfUs: 0, totalUs: 0, children: new Map() };
  const stack: { id: number; into: Box }[] = (profile.nodes[0]?.children ?? []).map((id) => ({ id, into: root }));
  while (stack.length > 0) {
    const { id, into } = stack.pop() as { id: number; into: Box };
    const node = byId.get(id);
    if (!node) continue;
    const frame: Runtime.CallFrame = node.callFrame;
    // A native function without a script belongs to its caller's area.
    const area = areaOf(frame) ?? (into.area || 'native');
    if (area === IDLE) continue;
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}`;
    let box = into.children.get(key);
    if (!box) {
      box = { name: frame.functionName || '(anonymous)', where: placeOf(frame), area, selfUs: 0, totalUs: 0, children: new Map() };
      into.children.set(key, box);
    }
    box.selfUs += selfUs.get(id) ?? 0;
    for (const child of node.children ?? []) stack.push({ id: child, into: box });
  }
  const total = (box: Box): number => {
    box.totalUs = box.selfUs;
    for (const child of box.children.values()) box.totalUs += total(child);
    return box.totalUs;
  };
  total(root);
  return root;
}

/** The flame graph of `profile` as an SVG document, titled `title`. */
export function renderFlameGraph(profile: Profiler.Profile, title: string): string {
  const root = mergedTree(profile);
  const scale = root.totalUs > 0 ? WIDTH / root.totalUs : 0;
  const boxes: string[] = [];
  let depth = 0;
  // The legend: the areas by self time, as the summary counts them, wrapped to the width.
  const legend: string[] = [];
  let legendX = 10;
  let legendY = 32;
  for (const area of summarizeProfile(profile, 0).areas) {
    if (area.share < 0.005) continue;
    const text = `${area.name} ${(100 * area.share).toFixed(1)}%`;
    const itemWidth = 14 + text.length * CHAR_WIDTH + 14;
    if (legendX + itemWidth > WIDTH && legendX > 10) {
      legendX = 10;
      legendY += LEGEND_ROW;
    }
    legend.push(`<rect x="${legendX}" y="${legendY}" width="10" height="10" fill="${AREA_COLOURS[area.name] ?? OTHER_COLOUR}"/><text x="${legendX + 14}" y="${legendY + 9}">${escapeXml(text)}</text>`);
    legendX += itemWidth;
  }
  const top = legendY + LEGEND_ROW + 10;
  const draw = (box: Box, x: number, level: number): void => {
    const width = box === root ? WIDTH : box.totalUs * scale;
    if (width < MIN_WIDTH) return;
    depth = Math.max(depth, level);
    const y = top + level * ROW;
    const ms = box.totalUs / 1000;
    const share = root.totalUs > 0 ? (100 * box.totalUs) / root.totalUs : 0;
    const label = box === root ? `all (${ms.toFixed(0)} ms busy)` : box.name;
    const tip = `${label}${box.where ? ` ${box.where}` : ''}${box.area ? ` · ${box.area}` : ''} · ${ms.toFixed(1)} ms, ${share.toFixed(1)}% (self ${(box.selfUs / 1000).toFixed(1)} ms)`;
    const fits = Math.floor((width - 6) / CHAR_WIDTH);
    const text = fits >= 3 ? (label.length <= fits ? label : `${label.slice(0, fits - 1)}…`) : '';
    const fill = box === root ? '#e2e8f0' : (AREA_COLOURS[box.area] ?? OTHER_COLOUR);
    boxes.push(
      `<g><title>${escapeXml(tip)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${ROW - 1}" fill="${fill}"/>` +
        (text ? `<text x="${(x + 3).toFixed(1)}" y="${y + 12}">${escapeXml(text)}</text>` : '') +
        '</g>',
    );
    let childX = x;
    for (const child of [...box.children.values()].sort((a, b) => b.totalUs - a.totalUs)) {
      draw(child, childX, level + 1);
      childX += child.totalUs * scale;
    }
  };
  draw(root, 0, 0);

  const height = top + (depth + 1) * ROW + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Menlo, Consolas, monospace" font-size="11">`,
    '<style>text { fill: #1a202c; pointer-events: none; } rect { stroke: #fff; stroke-width: 0.5; }</style>',
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#fff" stroke="none"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...legend,
    ...boxes,
    '</svg>',
    '',
  ].join('\n');
}
