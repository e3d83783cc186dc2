/**
 * A small app for `troupe/testing`'s tests: `bell` actors on node a ring a second after
 * `Ring` (an `after` delay), and a `tally` on node b lists what rang.
 */
import { assign, emit, setup } from 'xstate';
import { defineService } from '../../runtime/define-service.js';
import { defineApp } from '../../runtime/service.js';
import type { SimulatedCluster } from '../../testing/index.js';

type BellEvent = { readonly type: 'Ring'; readonly data: { readonly id: string }; readonly ts: number };

const bellMachine = setup({
  types: {
    events: {} as BellEvent,
    input: {} as { key: string | undefined },
    context: {} as { id: string },
    emitted: {} as { type: 'Rang'; data: { id: string } },
  },
}).createMachine({
  id: 'bell',
  context: ({ input }) => ({ id: input.key ?? '' }),
  initial: 'quiet',
  states: {
    quiet: { on: { Ring: 'ringing' } },
    ringing: { after: { 1000: { target: 'rung', actions: emit(({ context }) => ({ type: 'Rang' as const, data: { id: context.id } })) } } },
    rung: { type: 'final' },
  },
});

const tallyMachine = setup({
  types: { events: {} as { readonly type: 'Rang'; readonly data: { readonly id: string }; readonly ts: number }, context: {} as { rung: string[] } },
}).createMachine({
  id: 'tally',
  context: { rung: [] },
  on: { Rang: { actions: assign({ rung: ({ context, event }) => [...context.rung, event.data.id] }) } },
});

/** The bells app: `bell` placed on a, `tally` on b. */
export const bells = defineApp({
  name: 'bells',
  services: [
    defineService({ name: 'bell', machine: bellMachine, on: ['Ring'], key: (event) => event.data.id }),
    defineService({ name: 'tally', machine: tallyMachine, on: ['Rang'] }),
  ],
  placement: { a: ['bell'], b: ['tally'] },
});

/** What the tally on b has heard ring. */
export const rung = (sim: SimulatedCluster): string[] => sim.actor<{ rung: string[] }>('b', 'tally')?.context.rung ?? [];
