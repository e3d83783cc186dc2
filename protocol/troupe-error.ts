/**
 * Errors with stable codes. Tests and tools match on `code`, never on `message`; the
 * README lists every code.
 */

/** Every error code troupe raises. */
export type TroupeErrorCode =
  | 'TROUPE_PROTOCOL_BAD_FRAME'
  | 'TROUPE_PROTOCOL_BAD_EVENT'
  | 'TROUPE_PROTOCOL_FRAME_TOO_LARGE'
  | 'TROUPE_PROTOCOL_UNEXPECTED_FRAME'
  | 'TROUPE_PROTOCOL_VERSION_MISMATCH'
  | 'TROUPE_PEER_AUTH_FAILED'
  | 'TROUPE_PEER_WRONG_CLUSTER'
  | 'TROUPE_PEER_DUPLICATE_LINK'
  | 'TROUPE_PEER_DUPLICATE_ID'
  | 'TROUPE_PEER_SELF_LINK'
  | 'TROUPE_PEER_TIMEOUT'
  | 'TROUPE_PEER_LINK_CUT'
  | 'TROUPE_PEER_KEY_REJECTED'
  | 'TROUPE_PEER_FORGED_EVENT'
  | 'TROUPE_NODE_RETIRED'
  | 'TROUPE_KEY_INVALID'
  | 'TROUPE_KEY_UNTRUSTED'
  | 'TROUPE_TRUST_INVALID'
  | 'TROUPE_BAD_REQUEST'
  | 'TROUPE_NOT_FOUND'
  | 'TROUPE_NODE_RECOVERING'
  | 'TROUPE_NODE_STOPPING'
  | 'TROUPE_FORBIDDEN_ORIGIN'
  | 'TROUPE_FORBIDDEN_HOST'
  | 'TROUPE_UNAUTHORIZED'
  | 'TROUPE_UNSUPPORTED_MEDIA_TYPE'
  | 'TROUPE_TOO_LARGE'
  | 'TROUPE_REQUEST_TIMEOUT'
  | 'TROUPE_INSECURE_ADMIN'
  | 'TROUPE_NODE_UNREACHABLE'
  | 'TROUPE_CHAOS_DISABLED'
  | 'TROUPE_SERVICE_FAILED'
  | 'TROUPE_SERVICE_NO_KEY'
  | 'TROUPE_EVENT_VERSION_UNKNOWN'
  | 'TROUPE_EVENT_UPCAST_FAILED'
  | 'TROUPE_SNAPSHOT_MIGRATION_FAILED'
  | 'TROUPE_SNAPSHOT_VERSION_UNKNOWN'
  | 'TROUPE_SNAPSHOT_REJECTED'
  | 'TROUPE_SNAPSHOT_UNRESTORED'
  | 'TROUPE_BAD_FLAGS'
  | 'TROUPE_BAD_APP'
  | 'TROUPE_STORE_FAILED'
  | 'TROUPE_DISK_FULL'
  | 'TROUPE_LOG_COMPACTED'
  | 'TROUPE_PEER_BEHIND_RETENTION'
  | 'TROUPE_LISTEN_FAILED'
  | 'TROUPE_FEED_TOO_SLOW'
  | 'TROUPE_CLIENT_DISCONNECTED'
  | 'TROUPE_CLIENT_CLOSED'
  | 'TROUPE_SIMULATION_UNSETTLED'
  | 'TROUPE_INTERNAL';

/** An error with a stable `code` and an optional `cause`. */
export class TroupeError extends Error {
  readonly code: TroupeErrorCode;

  constructor(code: TroupeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TroupeError';
    this.code = code;
  }
}

/** Whether `err` is a TroupeError, optionally with a given code. */
export function isTroupeError(err: unknown, code?: TroupeErrorCode): err is TroupeError {
  return err instanceof TroupeError && (code === undefined || err.code === code);
}

/**
 * An error as plain data, the shape the admin API, the feed and dead letters give it:
 * a TroupeError keeps its code, anything else gets `fallback`.
 */
export function errorData(err: unknown, fallback: TroupeErrorCode): { code: TroupeErrorCode; message: string } {
  if (isTroupeError(err)) return { code: err.code, message: err.message };
  return { code: fallback, message: err instanceof Error ? err.message : String(err) };
}
