/**
 * What one node of an app runs: the services placed on it, with `{node}` in their event
 * types replaced by its id, and what it wants beside them (the app's `interest` for it,
 * and `--want`).
 */
import { TroupeError } from '../protocol/troupe-error.js';
import type { AppDefinition, ServiceDefinition } from '../runtime/service.js';

/** The placeholder for the hosting node's id in a service's event types. */
export const NODE_PLACEHOLDER = '{node}';

/**
 * The services `names` of `app` as node `id` hosts them.
 * @throws TroupeError `TROUPE_BAD_FLAGS` for a name the app does not define.
 */
export function placedServices(app: AppDefinition, id: string, names: readonly string[]): ServiceDefinition[] {
  return names.map((name) => {
    const service = app.services.find((s) => s.name === name);
    if (service === undefined) throw new TroupeError('TROUPE_BAD_FLAGS', `--services: app ${app.name} has no service ${name}`);
    if (!service.on.some((type) => type.includes(NODE_PLACEHOLDER))) return service;
    return { ...service, on: service.on.map((type) => type.replaceAll(NODE_PLACEHOLDER, id)) };
  });
}

/**
 * What node `id` wants beside its services: the app's `interest` for it and the `--want`
 * flags together; `undefined` (everything) when neither names any.
 */
export function nodeWants(app: AppDefinition, id: string, flags: readonly string[] | undefined): readonly string[] | undefined {
  const fromApp = app.interest?.[id];
  if (fromApp === undefined && flags === undefined) return undefined;
  return [...(fromApp ?? []), ...(flags ?? [])].map((type) => type.replaceAll(NODE_PLACEHOLDER, id));
}
