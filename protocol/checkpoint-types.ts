/**
 * The event types a checkpoint signs (`origin-proof/v3`): what lets a partial node check,
 * under its origin's signature, that a run of seqs a peer names in a `skip` frame is
 * outside its interest (see PROTOCOL.md, **Origin proofs**).
 *
 * A checkpoint lists its events' distinct types once (`types`, in order of first
 * appearance) and then, in seq order, **type runs**: consecutive events of one type, as
 * 4 bytes each, the type's index in `types` and the run's length (uint16 big-endian each).
 * A device's commit of readings is one run whatever its size, so the list costs a few
 * bytes per checkpoint, not per event.
 */

/** Bytes of one type run: index (uint16) and length (uint16). */
export const TYPE_RUN_BYTES = 4;

/** A checkpoint's signed types: distinct names and, in seq order, runs of one type. */
export interface CheckpointTypes {
  /** The distinct types, in order of first appearance (1 to 4096). */
  readonly types: readonly string[];
  /** Type runs in seq order, {@link TYPE_RUN_BYTES} each: index into `types`, length. */
  readonly runs: Uint8Array;
}

/** The signed types of events whose types are `types`, in seq order (at most 4096). */
export function checkpointTypes(types: readonly string[]): CheckpointTypes {
  const names: string[] = [];
  const index = new Map<string, number>();
  const runs: number[] = [];
  for (const type of types) {
    let i = index.get(type);
    if (i === undefined) {
      i = names.length;
      index.set(type, i);
      names.push(type);
    }
    const last = runs.length - 2;
    if (last >= 0 && runs[last] === i) runs[last + 1]++;
    else runs.push(i, 1);
  }
  const bytes = Buffer.alloc(runs.length * 2);
  for (let j = 0; j < runs.length; j++) bytes.writeUInt16BE(runs[j], j * 2);
  return { types: names, runs: bytes };
}

/**
 * The number of events `runs` covers, or `undefined` if they are malformed: a length
 * not a multiple of {@link TYPE_RUN_BYTES}, an index past `types`, or an empty run.
 */
export function typedEvents(checkpoint: CheckpointTypes): number | undefined {
  const { runs, types } = checkpoint;
  if (runs.length === 0 || runs.length % TYPE_RUN_BYTES !== 0) return undefined;
  const view = Buffer.from(runs.buffer, runs.byteOffset, runs.length);
  let n = 0;
  for (let at = 0; at < runs.length; at += TYPE_RUN_BYTES) {
    const length = view.readUInt16BE(at + 2);
    if (view.readUInt16BE(at) >= types.length || length === 0) return undefined;
    n += length;
  }
  return n;
}

/**
 * The first seq in `from`…`to` whose signed type `wants` accepts, in a checkpoint whose
 * first event is `first`; `undefined` if none (seqs outside the checkpoint are not looked at).
 */
export function firstWanted(checkpoint: CheckpointTypes, first: number, from: number, to: number, wants: (type: string) => boolean): number | undefined {
  const { runs, types } = checkpoint;
  const view = Buffer.from(runs.buffer, runs.byteOffset, runs.length);
  let seq = first;
  for (let at = 0; at < runs.length && seq <= to; at += TYPE_RUN_BYTES) {
    const end = seq + view.readUInt16BE(at + 2) - 1;
    if (end >= from && wants(types[view.readUInt16BE(at)])) return Math.max(seq, from);
    seq = end + 1;
  }
  return undefined;
}
