/**
 * `GET /app`: the whole app as this node loaded it — every service, where the placement
 * puts it, what it consumes and emits, its laid-out statechart — and the choreography map
 * over all of them. Every node loads the same app, so any node answers for the cluster;
 * only the emitted types a node saw in its log are its own, merged into what the machines
 * declare.
 */
import type { AppInfo, ServiceInfo } from '../inspector/feed.js';
import { choreographyMap, machineEmits } from './choreography-map.js';
import type { AppDefinition, ServiceDefinition } from './service.js';
import { statechartOf } from './statechart-layout.js';

/** The app info of `app`; `seen` is service → types this node saw it emit (`Host.emitsSeen`). */
export async function appInfo(app: AppDefinition, seen: Readonly<Record<string, readonly string[]>>): Promise<AppInfo> {
  const services: ServiceInfo[] = await Promise.all(
    app.services.map(async (service) => ({
      name: service.name,
      on: [...service.on],
      keyed: service.key !== undefined,
      nodes: Object.keys(app.placement)
        .filter((node) => app.placement[node].includes(service.name))
        .sort(),
      emits: [...new Set([...machineEmits(service.machine), ...(seen[service.name] ?? [])])].sort(),
      chart: await statechartOf(service.machine),
    })),
  );
  return { name: app.name, services, eventTypes: choreographyMap(services) };
}

/**
 * The app of a node given only its services (started without the app module, as a test
 * may): those services, all placed on this node.
 */
export function soloApp(node: string, services: readonly ServiceDefinition[]): AppDefinition {
  return { name: node, services, placement: { [node]: services.map((s) => s.name) } };
}
