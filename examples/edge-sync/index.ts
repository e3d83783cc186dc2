/**
 * The edge-sync app: a gateway and a fleet of devices that sync after being offline.
 *
 * Each device publishes `reading`s (`{ device, value }`) and hosts its own `sensor`, which
 * reacts to the alerts meant for it (`alert.<device>`) and acknowledges them. The gateway
 * hosts the `aggregator`, one actor per device, which raises an alert when a reading
 * crosses the threshold. Devices link only to the gateway (`cluster.hub`) and are partial
 * (`interest`): each wants its sensor's `alert.<device>` and nothing beside its own
 * events, so it holds a small fraction of the fleet's events, while the gateway wants
 * everything. A device's alerts depend on other devices' readings it never holds; it
 * still delivers what it gets in causal order (see `README.md` here).
 *
 * `troupe cluster --app examples/edge-sync` starts `gw`, `d1` … `d4`, then runs
 * {@link edgeDemo}.
 */
import { alertSensorMachine } from '../../machines/alert-sensor.js';
import { readingAggregatorMachine } from '../../machines/reading-aggregator.js';
import { defineApp, type ServiceDefinition } from '../../runtime/service.js';
import { edgeDemo } from './demo.js';

/** The devices of the example fleet. */
export const DEVICES = ['d1', 'd2', 'd3', 'd4'];

/** Keys a reading or an acknowledgement by its device. */
function byDevice(event: { readonly data: unknown }): string | undefined {
  const device: unknown = (event.data as { device?: unknown } | null | undefined)?.device;
  return typeof device === 'string' && device !== '' ? device : undefined;
}

/** The aggregator, on the gateway: one actor per device. */
export const aggregatorService: ServiceDefinition = { name: 'aggregator', machine: readingAggregatorMachine, on: ['reading', 'alert.ack'], key: byDevice };

/** The sensor, on every device: `{node}` makes each take only its own device's alerts. */
export const sensorService: ServiceDefinition = { name: 'sensor', machine: alertSensorMachine, on: ['alert.{node}'] };

/** The edge-sync app definition. */
export default defineApp({
  name: 'edge-sync',
  services: [aggregatorService, sensorService],
  placement: { gw: ['aggregator'], ...Object.fromEntries(DEVICES.map((d) => [d, ['sensor']])) },
  // An empty list: a device wants what its services consume and its own events, nothing more.
  interest: Object.fromEntries(DEVICES.map((d) => [d, []])),
  cluster: { nodes: ['gw', ...DEVICES], hub: 'gw' },
  demo: edgeDemo,
});
