/**
 * A node's clock read whole from its `/status`: the `vc` there shows only live entries,
 * leaving out each retired origin at its final seq (counted in `retired.folded`), which
 * `retired.origins` gives (`runtime/node-status.ts`). Tools that compare clocks across
 * nodes (the chaos harness, `troupe status` readers, tests, this page) read them whole, so
 * that a node that folded an origin and one that has not yet compare equal. It lives with
 * the page, which loads nothing from the node's code; the node's tools import it from here.
 */

/** A vector clock as the admin API tells it: origin → count (a missing entry is 0). */
export type StatusClock = Readonly<Record<string, number>>;

/** The parts of `GET /status` the whole clock is read from. */
export interface ClockOfStatus {
  readonly vc: StatusClock;
  readonly retired?: { readonly origins: readonly { readonly origin: string; readonly final: number }[] };
}

/**
 * `status.vc` with every retired origin it leaves out read as its final seq.
 *
 * @example statusClock({ vc: { 'n1~b': 2 }, retired: { origins: [{ origin: 'n1~a', final: 4 }] } }) // { 'n1~b': 2, 'n1~a': 4 }
 */
export function statusClock(status: ClockOfStatus): Record<string, number> {
  const out: Record<string, number> = { ...status.vc };
  for (const { origin, final } of status.retired?.origins ?? []) if (!Object.hasOwn(out, origin)) out[origin] = final;
  return out;
}
