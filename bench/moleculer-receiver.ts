/**
 * The receiving process of the Moleculer benchmark: a broker hosting a `sink` service
 * whose handler for the benchmark event hands it to the delivery probe.
 *
 * Usage: `moleculer-receiver.js NODE_ID PORT ENDPOINTS` where ENDPOINTS is
 * `nodeID:port,…` for every node (including this one). Prints
 * `{"msg":"listening","port":N}` once the broker has started; answers the harness over IPC.
 */
import { ServiceBroker, type Context } from 'moleculer';
import { DeliveryProbe, serveProbe } from './delivery-probe.js';
import { moleculerBrokerOptions, type MoleculerEndpoint } from './moleculer-options.js';
import { BENCH_EVENT_TYPE, type BenchData } from './payload.js';

const [nodeID, port, list] = process.argv.slice(2);
const endpoints: MoleculerEndpoint[] = list.split(',').map((entry) => {
  const [id, p] = entry.split(':');
  return { nodeID: id, port: Number(p) };
});

const probe = new DeliveryProbe();
serveProbe(probe);

const broker = new ServiceBroker(moleculerBrokerOptions(nodeID, endpoints));
broker.createService({
  name: 'sink',
  events: {
    [BENCH_EVENT_TYPE](ctx: Context<BenchData>) {
      probe.observe(ctx.params.sentAt);
    },
  },
});
await broker.start();
process.stdout.write(`${JSON.stringify({ msg: 'listening', port: Number(port) })}\n`);
// Without the harness (its IPC channel closed) there is nothing left to measure.
process.once('disconnect', () => process.exit(0));
process.on('SIGTERM', async function processOnSigterm() {
  await broker.stop();
  process.exit(0);
});
