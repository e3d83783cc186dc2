/**
 * Refusals on one peer connection: this node refusing the peer (a failed handshake, a cut
 * link, a second process under a linked node id, a node id retired for good), and the
 * peer refusing this node. Each is logged once, at a level that fits how routine it is,
 * and a refusal of the peer closes the connection with its close code (`CLOSE_CODES`)
 * and a reason the peer logs in turn. Two processes under one node id are recorded on
 * both sides (`duplicate-ids.ts`), since merging them would fork that id's sequence.
 */
import { CLOSE_CODES } from '../protocol/handshake.js';
import type { TroupeErrorCode } from '../protocol/troupe-error.js';
import type { ConnectionContext } from './connection-context.js';
import type { PeerConnection } from './peer-connection.js';

/** Refuses the peer of one connection, or logs its refusal of this node. */
export class PeerRefusals {
  private readonly ctx: ConnectionContext;
  private readonly conn: PeerConnection;

  constructor(ctx: ConnectionContext, conn: PeerConnection) {
    this.ctx = ctx;
    this.conn = conn;
  }

  /** Logs the refusal of the peer with error `code`, and closes the connection with `closeCode` and `reason`. */
  refuse(code: TroupeErrorCode, closeCode: number, reason: string): void {
    // Two nodes that dial each other meet twice: routine, not a warning. A cut peer is
    // refused at each of its redials, on purpose: the cut itself was logged.
    const level = code === 'TROUPE_PEER_LINK_CUT' ? 'debug' : code === 'TROUPE_PEER_DUPLICATE_LINK' ? 'info' : 'warn';
    this.ctx.log[level]({ code, peer: this.conn.peer || undefined, direction: this.conn.direction, closeCode }, `peer refused: ${reason}`);
    this.conn.close(closeCode, reason);
  }

  /** Refuses the peer because this node holds the link to it cut. */
  cut(): void {
    this.refuse('TROUPE_PEER_LINK_CUT', CLOSE_CODES.linkCut, `link ${this.ctx.id}-${this.conn.peer} is cut by ${this.ctx.id}`);
  }

  /**
   * Refuses a second process of the peer's node id: this node is linked to another one,
   * `heldInstance`, already. Merging the two would fork that id's sequence; refusing one
   * keeps it whole, and says so loudly on both sides. (A process restarted after a crash
   * whose old link is not yet seen dead is refused too, until the heartbeat drops it.)
   */
  duplicateId(heldInstance: string): void {
    const node = this.conn.peer;
    const first = this.ctx.fabric.duplicates.note(node, this.ctx.id, this.ctx.clock.now());
    this.ctx.log[first ? 'error' : 'warn'](
      { code: 'TROUPE_PEER_DUPLICATE_ID', peer: node, instance: this.conn.instance, linkedInstance: heldInstance, direction: this.conn.direction, closeCode: CLOSE_CODES.duplicateId },
      `peer refused: another process with node id ${node} is linked here already; two live processes must not share one id`,
    );
    this.conn.close(CLOSE_CODES.duplicateId, `another process with node id ${node} is linked to ${this.ctx.id}`);
  }

  /** Refuses a peer whose node id was retired for good (`troupe forget`), at every redial. */
  retired(node: string): void {
    this.ctx.log.warn(
      { code: 'TROUPE_NODE_RETIRED', peer: node, direction: this.conn.direction, closeCode: CLOSE_CODES.nodeRetired },
      `peer refused: node id ${node} was retired for good`,
    );
    this.conn.close(CLOSE_CODES.nodeRetired, `TROUPE_NODE_RETIRED: node id ${node} was retired for good; start it under a new --id with a fresh data dir`);
  }

  /** The peer closed the connection with `code` (not a code this side sent and it echoed): logs it if that refuses this node. */
  closedByPeer(code: number, reason: string): void {
    if (code === CLOSE_CODES.duplicateId && this.conn.peer !== '') this.refusedAsDuplicate(reason);
    if (code === CLOSE_CODES.nodeRetired) this.ctx.log.error({ code: 'TROUPE_NODE_RETIRED', peer: this.conn.peer || undefined, closeCode: code, reason }, `refused by ${this.conn.peer || 'a peer'}: this node's id was retired for good`);
  }

  /** The peer refused this node because another process with this node's id is linked to it. */
  private refusedAsDuplicate(reason: string): void {
    const first = this.ctx.fabric.duplicates.note(this.ctx.id, this.conn.peer, this.ctx.clock.now());
    this.ctx.log[first ? 'error' : 'warn'](
      { code: 'TROUPE_PEER_DUPLICATE_ID', peer: this.conn.peer, direction: this.conn.direction, reason },
      `refused by ${this.conn.peer}: another process with this node id (${this.ctx.id}) is linked to it; two live processes must not share one id`,
    );
  }
}
