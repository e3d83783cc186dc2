/**
 * The fleet benchmark's app: the edge-sync services on a gateway `gw` and `FLEET_SIZE`
 * devices `d01`, `d02`, …, each partial (its sensor's `alert.<device>` and its own events),
 * so that each wants about 1/FLEET_SIZE of the fleet's traffic.
 */
import { aggregatorService, sensorService } from '../../examples/edge-sync/index.js';
import { defineApp } from '../../runtime/service.js';

/** Devices in the benchmark fleet. */
export const FLEET_SIZE = 20;

/** The device ids, `d01` … */
export const FLEET_DEVICES = Array.from({ length: FLEET_SIZE }, (_, i) => `d${String(i + 1).padStart(2, '0')}`);

export default defineApp({
  name: 'edge-fleet',
  services: [aggregatorService, sensorService],
  placement: { gw: ['aggregator'], ...Object.fromEntries(FLEET_DEVICES.map((d) => [d, ['sensor']])) },
  interest: Object.fromEntries(FLEET_DEVICES.map((d) => [d, []])),
});
