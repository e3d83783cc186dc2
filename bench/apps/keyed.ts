/**
 * The idle-actors benchmark app (`idle-actors.ts`): one keyed `tally` service on node
 * `solo`, one actor per `data.id`, which counts the events it has taken. Each actor is a
 * small record on disk once passivated.
 */
import { assign, setup } from 'xstate';
import { defineService } from '../../runtime/define-service.js';
import { defineApp } from '../../runtime/service.js';

/** The node that hosts the tallies. */
export const KEYED_NODE_ID = 'solo';

/** The event type each tally takes. */
export const TALLY_EVENT_TYPE = 'Tally';

type TallyEvent = { readonly type: typeof TALLY_EVENT_TYPE; readonly data: { readonly id: string }; readonly ts: number };

/** Counts the events of one id. */
export const tallyMachine = setup({
  types: { context: {} as { n: number }, events: {} as TallyEvent },
}).createMachine({
  id: 'tally',
  context: { n: 0 },
  on: { [TALLY_EVENT_TYPE]: { actions: assign(({ context }) => ({ n: context.n + 1 })) } },
});

/** The benchmark app. */
export default defineApp({
  name: 'keyed',
  services: [defineService({ name: 'tally', machine: tallyMachine, on: [TALLY_EVENT_TYPE], key: (event) => event.data.id })],
  placement: { [KEYED_NODE_ID]: ['tally'] },
});
