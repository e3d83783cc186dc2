/**
 * The few admin API calls the orders demo makes, over `fetch`, with the cluster's admin
 * token when it has one. None throws: a node that refuses or cannot be reached (cut,
 * restarting, stopping) answers `undefined`/`false`, and the demo says so and goes on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DemoContext } from '../../runtime/service.js';

/** What every call needs of the demo's context: when to give up, and the admin token. */
export type AdminCall = Pick<DemoContext, 'signal' | 'adminToken'>;

/** An order the demo places. */
export interface DemoOrder {
  readonly sku: string;
  readonly qty: number;
  readonly amount: number;
}

/** An order the demo placed: its id, what it asked for, and the node it was sent to. */
export interface PlacedOrder extends DemoOrder {
  readonly orderId: string;
  readonly node: string;
}

/** One row of `GET /actors`. */
export interface ActorRow {
  readonly service: string;
  readonly key: string | null;
  readonly state: unknown;
  readonly status: string;
  readonly context: Record<string, unknown>;
}

/**
 * Publishes one `OrderPlaced`; its correlation id is the order id, so `GET /trace/<orderId>`
 * shows the whole workflow. Resolves `false` when the node refuses or cannot be reached.
 */
export async function placeOrder(url: string, orderId: string, order: DemoOrder, call: AdminCall): Promise<boolean> {
  const body = { type: 'OrderPlaced', correlationId: orderId, data: { orderId, sku: order.sku, qty: order.qty, amount: order.amount } };
  const answer = await request(url, '/events', call, { method: 'POST', body: JSON.stringify(body) });
  return answer?.status === 201;
}

/** `POST url + path` with no body; resolves with the status code and JSON answer, or `undefined` when unreachable. */
export function post(url: string, path: string, call: AdminCall): Promise<{ status: number; body: unknown } | undefined> {
  return request(url, path, call, { method: 'POST' });
}

/** `GET url + path` as JSON; `undefined` when it fails. */
export async function getJson<T>(url: string, path: string, call: AdminCall): Promise<T | undefined> {
  const answer = await request(url, path, call, { method: 'GET' });
  return answer?.status === 200 ? (answer.body as T) : undefined;
}

/** One node's first page of `GET /actors` (a thousand actors: a demo has fewer); an unreachable node lists none. */
export async function listActors(url: string, call: AdminCall): Promise<ActorRow[]> {
  const page = await getJson<{ actors?: unknown }>(url, '/actors', call);
  return Array.isArray(page?.actors) ? (page.actors as ActorRow[]) : [];
}

/** Waits `ms`; resolves `false` instead when the cluster stops meanwhile. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

async function request(
  url: string,
  path: string,
  call: AdminCall,
  init: { method: string; body?: string },
): Promise<{ status: number; body: unknown } | undefined> {
  const headers: Record<string, string> = {};
  // The node takes a state change only as JSON, with a body or without.
  if (init.method !== 'GET') headers['content-type'] = 'application/json';
  if (call.adminToken !== undefined) headers.authorization = `Bearer ${call.adminToken}`;
  try {
    const res = await fetch(`${url}${path}`, {
      ...init,
      headers,
      signal: AbortSignal.any([call.signal, AbortSignal.timeout(10_000)]),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  } catch {
    return undefined;
  }
}
