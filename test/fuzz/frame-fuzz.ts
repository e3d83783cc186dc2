/**
 * The frame fuzzer: a real node pair (two processes) and fake peers (one by default) that
 * know the cluster secret, do the real handshake and then send mutated frames to the
 * first node, one at a time each. After each frame it sends a WebSocket ping: a pong means the node
 * took the frame, a close means it refused it (counted by close code), and the fake peer
 * then connects again. At the end it checks that both nodes are up and `/status` answers,
 * that every entry of both logs re-encodes under the grammar (`encodeEvent` checks every
 * field), that no log holds a ts the nodes stamped from a far-future peer, and that a
 * publish on each node reaches the other.
 *
 * `npm run fuzz -- --frames N --seed S [--peers K]` runs it from the command line (`main.ts`); the
 * integration test runs a short one.
 */
import fc from 'fast-check';
import { encodeEvent } from '../../protocol/codec.js';
import type { EncodedEvent, Envelope } from '../../protocol/envelope.js';
import { connectAuthenticated, type AuthenticatedPeer } from '../helpers/authenticated-peer.js';
import { waitForLinks } from '../helpers/convergence.js';
import { crashed, startNode, type NodeProcess, type Teardownable } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait-for.js';
import { frameBytes, FUZZ_PEER, recipes, type PeerView, type Recipe } from './fuzz-recipes.js';

/** Options of {@link fuzzFrames}. */
export interface FuzzOptions {
  /** Frames to send. */
  readonly frames: number;
  /** The seed of the frames drawn. */
  readonly seed: number;
  /**
   * Fake peers sending at once, each under its own node id (`mallory0`, …). Each draws its
   * own share of the seeded frames; with 1 a run replays exactly. [default 1]
   */
  readonly peers?: number;
  /** Told of progress now and then. [default: silent] */
  readonly progress?: (line: string) => void;
  /** Given the nodes as they start (for output tails on a failure). */
  readonly started?: (node: NodeProcess) => void;
}

/** What a run sent, what the nodes did with it, and what the checks after it found. */
export interface FuzzSummary {
  readonly seed: number;
  readonly peers: number;
  readonly sent: number;
  /** Frames the node took (answered the ping after them). */
  readonly accepted: number;
  /** Frames the node refused, by the close code it closed the connection with. */
  readonly refused: Readonly<Record<string, number>>;
  readonly connections: number;
  /** The fake peer's events in the first node's log at the end. */
  readonly storedFromPeer: number;
  /** Log entries per node. */
  readonly logged: Readonly<Record<string, number>>;
  /** Everything the checks found wrong; empty when the nodes held. */
  readonly problems: readonly string[];
  readonly ms: number;
}

const SECRET = 'fuzz-secret';
const CLUSTER = 'troupe';
/** How long the node may take to answer one frame's ping before the run counts it hung. */
const FRAME_TIMEOUT_MS = 20_000;
/** Recipes drawn per fast-check sample. */
const CHUNK = 256;
/** The newest ts a node may stamp: an hour ahead of the wall clock, as `maxSkewMs` allows. */
const SKEW_MS = 60 * 60 * 1000;

/** Runs the fuzzer against a fresh node pair; the nodes are stopped by `owner`'s teardown. */
export async function fuzzFrames(owner: Teardownable, options: FuzzOptions): Promise<FuzzSummary> {
  const started = Date.now();
  const say = options.progress ?? (() => {});
  const n1 = await startNode(owner, { id: 'n1', secret: SECRET });
  const n2 = await startNode(owner, { id: 'n2', secret: SECRET, peers: [n1.wsUrl] });
  const nodes = [n1, n2];
  for (const node of nodes) options.started?.(node);
  await waitForLinks(nodes, [['n1', 'n2']]);
  say(`nodes up: n1 ${n1.url}, n2 ${n2.url}; sending ${options.frames} frames from ${options.peers ?? 1} fake peers, seed ${options.seed}`);

  const peers = Math.max(1, options.peers ?? 1);
  const tally: Tally = { sent: 0, accepted: 0, connections: 0, refused: {}, problems: [] };
  const nextChunk = { value: 0 };
  await Promise.all(Array.from({ length: peers }, (_, i) => sendAsPeer(`${FUZZ_PEER}${i}`, nodes, options, tally, nextChunk, say)));
  const { sent, accepted, connections, refused, problems } = tally;

  if (problems.length === 0) problems.push(...(await checkNodes(nodes)));
  const logs = await Promise.all(nodes.map((n) => n.admin.log().catch(() => [])));
  return {
    seed: options.seed,
    peers,
    sent,
    accepted,
    refused,
    connections,
    storedFromPeer: logs[0].filter((e) => e.origin.startsWith(FUZZ_PEER)).length,
    logged: Object.fromEntries(nodes.map((n, i) => [n.id, logs[i].length])),
    problems,
    ms: Date.now() - started,
  };
}

/** What the fake peers did, counted together. */
interface Tally {
  sent: number;
  accepted: number;
  connections: number;
  readonly refused: Record<string, number>;
  readonly problems: string[];
}

/**
 * One fake peer's share of the run: chunks of seeded recipes, taken in turn with the other
 * peers (chunk `c` is drawn from seed + c), sent one frame at a time.
 */
async function sendAsPeer(self: string, nodes: readonly NodeProcess[], options: FuzzOptions, tally: Tally, nextChunk: { value: number }, say: (line: string) => void): Promise<void> {
  const view: PeerView = { self, nextSeq: 1, nodeClock: {}, nodes: nodes.map((n) => n.id) };
  let peer: AuthenticatedPeer | undefined;
  while (tally.sent < options.frames && tally.problems.length === 0) {
    const chunk = nextChunk.value++;
    const drawn: Recipe[] = fc.sample(recipes(view.nodes, self), { seed: options.seed + chunk, numRuns: Math.min(CHUNK, options.frames - tally.sent) });
    for (const recipe of drawn) {
      if (tally.sent >= options.frames || tally.problems.length > 0) break;
      // Counted before any wait, so that the peers together send exactly `frames`.
      const n = ++tally.sent;
      if (peer === undefined || peer.isClosed) {
        peer = await connect(nodes[0], view);
        tally.connections++;
      }
      const bytes = frameBytes(recipe, view);
      const verdict = await sendAndProbe(peer, bytes);
      if (verdict === 'taken') tally.accepted++;
      else if (verdict === 'hung') tally.problems.push(`the node answered neither pong nor close within ${FRAME_TIMEOUT_MS} ms after frame ${n} from ${self} (${Buffer.from(bytes.subarray(0, 64)).toString('hex')})`);
      else tally.refused[verdict] = (tally.refused[verdict] ?? 0) + 1;
      const down = crashed(nodes)();
      if (down !== undefined) tally.problems.push(`${down} after frame ${n}`);
    }
    if (chunk % 40 === 0) say(`${tally.sent} frames: ${tally.accepted} taken, refused ${JSON.stringify(tally.refused)}, ${tally.connections} connections`);
  }
  await peer?.close();
}

/** Connects the fake peer and learns its next seq and the node's clock from the node's `want`. */
async function connect(node: NodeProcess, view: PeerView): Promise<AuthenticatedPeer> {
  const peer = await connectAuthenticated(node.wsUrl, { cluster: CLUSTER, secret: SECRET, node: view.self });
  const want = await waitFor(() => peer.received.find((f) => f.type === 'want'), { message: 'the node to send its want', timeout: FRAME_TIMEOUT_MS, interval: 2 });
  if (want?.type === 'want') {
    view.nextSeq = (want.vc[view.self] ?? 0) + 1;
    const clock = view.nodeClock as Record<string, number>;
    for (const key of Object.keys(clock)) delete clock[key];
    for (const [node, n] of Object.entries(want.vc)) if (node !== view.self) clock[node] = n;
  }
  return peer;
}

/** Sends a frame and a ping behind it: `taken` on the pong, the close code on a close. */
function sendAndProbe(peer: AuthenticatedPeer, bytes: Uint8Array): Promise<'taken' | 'hung' | string> {
  return new Promise((resolve) => {
    const { socket } = peer;
    const timer = setTimeout(() => finish('hung'), FRAME_TIMEOUT_MS);
    function finish(verdict: string): void {
      clearTimeout(timer);
      socket.off('pong', fuzzOnPong);
      resolve(verdict);
    }
    function fuzzOnPong(): void {
      finish('taken');
    }
    socket.on('pong', fuzzOnPong);
    void peer.closed.then((info) => finish(String(info.code)));
    peer.send(bytes);
    if (socket.readyState === socket.OPEN) socket.ping();
  });
}

/** Whether a `/log` entry is an event the grammar allows: the encoder, which checks every field, takes it. */
function logEntryProblem(node: string, e: Envelope & { pos: number }): string | undefined {
  try {
    const { id, ...fields } = e as Envelope & { pos?: number };
    delete (fields as { pos?: number }).pos;
    const bytes: EncodedEvent = encodeEvent(fields);
    if (id !== `${e.origin}:${e.seq}`) return `${node} pos ${e.pos}: id ${id} is not origin:seq`;
    return bytes.length > 0 ? undefined : `${node} pos ${e.pos}: empty encoding`;
  } catch (err) {
    return `${node} pos ${e.pos}: ${(err as Error).message}`;
  }
}

/** The checks after a run: nodes up and answering, logs valid, publishing between them works. */
async function checkNodes(nodes: readonly NodeProcess[]): Promise<string[]> {
  const problems: string[] = [];
  for (const node of nodes) {
    if (!node.running) problems.push(`${node.id} is down: ${node.unexpectedExit ?? 'stopped'}`);
  }
  if (problems.length > 0) return problems;
  for (const node of nodes) {
    try {
      await node.admin.status();
      const log = await node.admin.log();
      log.forEach((e, i) => {
        if (e.pos !== i + 1) problems.push(`${node.id}: /log entry ${i + 1} has pos ${e.pos}`);
        const problem = logEntryProblem(node.id, e as unknown as Envelope & { pos: number });
        if (problem !== undefined) problems.push(problem);
      });
    } catch (err) {
      problems.push(`${node.id}: /status or /log failed: ${(err as Error).message}`);
    }
  }
  const before = Date.now();
  for (const [from, to] of [[nodes[0], nodes[1]], [nodes[1], nodes[0]]] as const) {
    try {
      // The fake peer's claims stop mattering once it is gone: publishing must work again.
      const answer = await waitFor(() => from.admin.publishRaw('AfterFuzz', { from: from.id }), {
        message: `a publish on ${from.id} to be accepted after the run`,
        until: (a) => a.status === 201,
        describe: (a) => `${a.status} ${a.text}`,
        failFast: crashed(nodes),
        timeout: 90_000,
      });
      const { id } = answer.body as { id: string };
      const own = (await from.admin.log()).find((e) => e.id === id);
      if (own === undefined || own.ts > before + SKEW_MS) problems.push(`${from.id} stamped ts ${own?.ts}, beyond the wall clock plus an hour`);
      await waitFor(() => to.admin.log(), { message: `${from.id}'s publish to reach ${to.id}`, until: (log) => log.some((e) => e.id === id), failFast: crashed(nodes), timeout: 60_000 });
    } catch (err) {
      problems.push((err as Error).message.split('\n')[0]);
    }
  }
  return problems;
}
