/**
 * A machine's statechart, laid out for drawing: XState's own graph of the machine
 * (`toDirectedGraph` from `xstate/graph`) is handed to ELK's layered algorithm (elkjs) as
 * one hierarchical graph, states as boxes sized to their names and transitions as edges
 * with sized labels, so ELK routes the edges and places their labels too. ELK is asked for
 * absolute coordinates (`elk.json.shapeCoords`/`edgeCoords: ROOT`), which is what the page
 * draws. A machine is laid out once; its chart is cached.
 *
 * `toDirectedGraph` lists a state's `on`, `after` and done/error transitions but not its
 * eventless (`always`) ones, which are added here from the state node itself.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkLabel, ElkNode } from 'elkjs/lib/elk-api.js';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import type { Chart, ChartState, ChartTransition } from '../inspector/feed.js';
import { transitionLabel } from './transition-label.js';

/** Rough text metrics of the page's 12px sans-serif: enough for ELK to leave room. */
const CHAR_WIDTH = 7;
const STATE_HEIGHT = 36;
const STATE_PADDING_X = 24;
const MIN_STATE_WIDTH = 64;
const LABEL_HEIGHT = 16;
/** Room at the top of a compound state for its name. */
const COMPOUND_PADDING = '[top=32,left=16,bottom=16,right=16]';

const LAYOUT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.layered.spacing.nodeNodeBetweenLayers': '48',
  'elk.spacing.nodeNode': '32',
  'elk.spacing.edgeLabel': '4',
  'elk.padding': COMPOUND_PADDING,
};

// elkjs is CommonJS typed as ESM: its constructor is the module's `default` (it sets both).
const elk = new ELK.default();
const charts = new WeakMap<AnyStateMachine, Promise<Chart>>();

/** The laid-out statechart of `machine`, computed once per machine. */
export function statechartOf(machine: AnyStateMachine): Promise<Chart> {
  let chart = charts.get(machine);
  if (chart === undefined) {
    chart = layOut(machine);
    charts.set(machine, chart);
  }
  return chart;
}

/** A transition before layout: its ELK edge id, ends and label. */
interface Edge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly label: string;
}

async function layOut(machine: AnyStateMachine): Promise<Chart> {
  const graph = toDirectedGraph(machine);
  const states = new Map<string, AnyStateNode>();
  const edges: Edge[] = [];
  const seen = new Set<string>();
  collect(graph, states, edges, seen);
  const root: ElkNode = {
    ...elkNode(graph, true),
    layoutOptions: LAYOUT_OPTIONS,
    edges: edges.map(elkEdge),
  };
  const laid = await elk.layout(root);
  const out: ChartState[] = [];
  flatten(laid, states, out);
  return {
    width: laid.width ?? 0,
    height: laid.height ?? 0,
    states: out,
    transitions: (laid.edges ?? []).map((e, i) => chartTransition(e, edges[i])),
  };
}

/** Gathers every state node and every distinct transition (guarded alternatives with one target and label draw as one arrow). */
function collect(node: DirectedGraphNode, states: Map<string, AnyStateNode>, edges: Edge[], seen: Set<string>): void {
  states.set(node.id, node.stateNode);
  const add = (source: string, target: string, label: string): void => {
    const key = `${source}\u0000${target}\u0000${label}`;
    if (seen.has(key)) return;
    seen.add(key);
    edges.push({ id: `t${edges.length}`, source, target, label });
  };
  for (const edge of node.edges) {
    const delay = (edge.transition as { delay?: number | string }).delay;
    add(edge.source.id, edge.target.id, transitionLabel(edge.transition.eventType, delay));
  }
  for (const t of node.stateNode.always ?? []) {
    for (const target of t.target ?? [node.stateNode]) add(node.id, target.id, transitionLabel(''));
  }
  for (const child of node.children) collect(child, states, edges, seen);
}

function elkNode(node: DirectedGraphNode, isRoot = false): ElkNode {
  const name = nameOf(node.stateNode, isRoot);
  if (node.children.length === 0) {
    return { id: node.id, width: Math.max(MIN_STATE_WIDTH, name.length * CHAR_WIDTH + STATE_PADDING_X), height: STATE_HEIGHT };
  }
  return {
    id: node.id,
    layoutOptions: { 'elk.padding': COMPOUND_PADDING },
    // A compound state is at least as wide as its own name.
    width: name.length * CHAR_WIDTH + STATE_PADDING_X,
    children: node.children.map((child) => elkNode(child)),
  };
}

function elkEdge(edge: Edge): ElkExtendedEdge {
  const label: ElkLabel = { text: edge.label, width: edge.label.length * CHAR_WIDTH, height: LABEL_HEIGHT };
  return { id: edge.id, sources: [edge.source], targets: [edge.target], labels: [label] };
}

function flatten(node: ElkNode, states: ReadonlyMap<string, AnyStateNode>, out: ChartState[]): void {
  const stateNode = states.get(node.id);
  if (stateNode !== undefined) {
    const parent = stateNode.parent;
    out.push({
      id: stateNode.id,
      path: [...stateNode.path],
      label: nameOf(stateNode, parent === undefined),
      type: stateNode.type,
      initial: parent?.initial?.target.includes(stateNode) ?? false,
      x: node.x ?? 0,
      y: node.y ?? 0,
      width: node.width ?? 0,
      height: node.height ?? 0,
    });
  }
  for (const child of node.children ?? []) flatten(child, states, out);
}

function chartTransition(laid: ElkExtendedEdge, edge: Edge): ChartTransition {
  const points: { x: number; y: number }[] = [];
  for (const section of laid.sections ?? []) {
    points.push(section.startPoint, ...(section.bendPoints ?? []), section.endPoint);
  }
  // Where ELK placed the label: its top-left corner, where the page hangs the text.
  const label = laid.labels?.[0];
  return {
    source: edge.source,
    target: edge.target,
    label: edge.label,
    points: points.map(({ x, y }) => ({ x, y })),
    labelX: label?.x ?? points[0]?.x ?? 0,
    labelY: label?.y ?? points[0]?.y ?? 0,
  };
}

/** A state's name: its key, or the machine's id for the root. */
function nameOf(stateNode: AnyStateNode, isRoot: boolean): string {
  return isRoot ? stateNode.machine.id : stateNode.key;
}
