/**
 * Who may use a node's admin API and its browser-facing WebSockets (`/feed`, `/inspect`,
 * `/client`). Anyone who reaches the port could otherwise publish, replay dead letters and
 * read every event, and so could any web page open in the same person's browser. Three
 * checks, in this order:
 *
 * - **Host.** The `Host` header must name the node: its bind address, the loopback names
 *   (`localhost`, `127.0.0.1`, `[::1]`) when it listens on loopback or on a wildcard
 *   address, and the names given with `--admin-host`. A page on a domain its owner
 *   points at 127.0.0.1 (DNS rebinding) sends that domain, and is refused (403).
 * - **Token.** With `--admin-token`, every call carries `Authorization: Bearer <token>`.
 *   Browsers cannot set headers on a WebSocket, so an upgrade may carry it as
 *   `?access_token=<token>` instead (RFC 6750 §2.3). Tokens are compared in constant time.
 *   The inspector page's own static files are served without it: they hold no data, and
 *   the page must load to ask for the token.
 * - **Media type.** A call that changes state (any method but GET and HEAD) must say
 *   `content-type: application/json`. Any site can make a browser send a cross-site
 *   "simple" request (text/plain, a form) with no CORS preflight, but not a JSON one, so
 *   refusing the rest (415) keeps pages from publishing to a node on 127.0.0.1.
 *
 * The node sends no CORS headers: no other origin may read its answers. Peer links are
 * authenticated by the peer handshake, not here.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TroupeError, type TroupeErrorCode } from '../protocol/troupe-error.js';

/** How a node's admin API is reached and protected. */
export interface AdminAccess {
  /** The bearer token every call must carry; absent or empty: none is asked for. */
  readonly token?: string;
  /** More host names the node may be reached by, beside its bind address (`--admin-host`). */
  readonly hosts?: readonly string[];
  /** Serve off loopback without a token. [default false] */
  readonly insecure?: boolean;
}

/** The HTTP status of each refusal the guard makes. */
export const GUARD_STATUS: Readonly<Partial<Record<TroupeErrorCode, number>>> = {
  TROUPE_UNAUTHORIZED: 401,
  TROUPE_FORBIDDEN_HOST: 403,
  TROUPE_UNSUPPORTED_MEDIA_TYPE: 415,
};

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);
/** A Host header: a name or IPv4 address, or an IPv6 address in brackets, and a port. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i;

/** The checks of one node's admin API. */
export class AdminGuard {
  /** The node's token, which it passes on when it reads its peers' admin APIs. */
  readonly token: string | undefined;
  private readonly digest: Buffer | undefined;
  private readonly names: ReadonlySet<string>;

  /**
   * @param bindHost the address the node listens on (`127.0.0.1`, `0.0.0.0`, `::1`, a name)
   * @throws TroupeError `TROUPE_INSECURE_ADMIN` when it listens off loopback with no token and not `insecure`.
   */
  constructor(bindHost: string, access: AdminAccess = {}) {
    this.token = access.token === '' ? undefined : access.token;
    this.digest = this.token === undefined ? undefined : sha256(this.token);
    const bind = hostName(bindHost);
    const wildcard = WILDCARDS.has(bind);
    const loopback = isLoopbackName(bind);
    if (!loopback && this.token === undefined && access.insecure !== true) {
      throw new TroupeError(
        'TROUPE_INSECURE_ADMIN',
        `listening on ${bindHost} (off loopback) needs an admin token: give --admin-token T (or TROUPE_ADMIN_TOKEN), ` +
          'or --insecure-admin to let anyone who reaches the port use the admin API',
      );
    }
    const names = (access.hosts ?? []).map(hostName);
    if (loopback || wildcard) names.push(...LOOPBACK_NAMES);
    if (!wildcard) names.push(bind);
    this.names = new Set(names);
  }

  /**
   * Checks an admin API request: Host, then the token (not for the page's static files,
   * `page`), then the media type of a state change.
   * @throws TroupeError `TROUPE_FORBIDDEN_HOST`, `TROUPE_UNAUTHORIZED` or `TROUPE_UNSUPPORTED_MEDIA_TYPE`
   */
  checkRequest(req: IncomingMessage, page: boolean): void {
    this.checkHost(req);
    if (!page) this.checkToken(req, false);
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') return;
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      throw new TroupeError(
        'TROUPE_UNSUPPORTED_MEDIA_TYPE',
        `${method} takes content-type: application/json${type === '' ? ', and none was given' : `, not ${type}`}`,
      );
    }
  }

  /**
   * Checks an upgrade to a browser-facing WebSocket: Host, then the token (header or `access_token`).
   * @throws TroupeError `TROUPE_FORBIDDEN_HOST` or `TROUPE_UNAUTHORIZED`
   */
  checkUpgrade(req: IncomingMessage): void {
    this.checkHost(req);
    this.checkToken(req, true);
  }

  private checkHost(req: IncomingMessage): void {
    const header = req.headers.host ?? '';
    const match = HOST_HEADER.exec(header);
    if (match === null || !this.names.has(match[1].toLowerCase())) {
      throw new TroupeError(
        'TROUPE_FORBIDDEN_HOST',
        `Host ${JSON.stringify(header)} does not name this node (it answers to ${[...this.names].join(', ') || 'no name'}; ` +
          'add names with --admin-host)',
      );
    }
  }

  private checkToken(req: IncomingMessage, allowQuery: boolean): void {
    if (this.digest === undefined) return;
    const presented = bearer(req.headers.authorization) ?? (allowQuery ? queryToken(req.url) : undefined);
    // Digests have one length whatever was presented: the comparison tells nothing of the token's.
    if (presented !== undefined && timingSafeEqual(sha256(presented), this.digest)) return;
    throw new TroupeError(
      'TROUPE_UNAUTHORIZED',
      presented === undefined
        ? `this node wants its admin token: Authorization: Bearer <token>${allowQuery ? ', or ?access_token=<token>' : ''}`
        : 'the admin token is not this node\'s',
    );
  }
}

/** Whether a bind address or host name is loopback: `localhost`, 127.0.0.0/8 or `::1`. */
export function isLoopbackName(host: string): boolean {
  const name = hostName(host);
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** A host as a Host header names it: lower case, an IPv6 address in brackets. */
function hostName(host: string): string {
  const name = host.trim().toLowerCase();
  return name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^bearer +(.+)$/i.exec(header ?? '');
  return match === null ? undefined : match[1].trim();
}

function queryToken(target: string | undefined): string | undefined {
  const query = (target ?? '').split('?')[1];
  return query === undefined ? undefined : (new URLSearchParams(query).get('access_token') ?? undefined);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
