/**
 * The network partition of the integration tests: the shared TCP proxy
 * (`nodes/tcp-proxy.ts`), which a test can `cut()` and `heal()`, closed with the test.
 */
import { TcpProxy } from '../../nodes/tcp-proxy.js';
import type { Teardownable } from './node-process.js';

export type { TcpProxy };

/** Starts a proxy to `127.0.0.1:targetPort` and closes it in `t`'s teardown. */
export async function startProxy(t: Teardownable, targetPort: number, name?: string): Promise<TcpProxy> {
  const proxy = await TcpProxy.start(targetPort, { name });
  t.teardown(() => proxy.close());
  return proxy;
}
