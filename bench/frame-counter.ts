/**
 * Counts messages in one direction of a TCP stream without copying payloads, for the
 * "messages per event" figure: WebSocket (RFC 6455: an HTTP upgrade, then frames whose
 * header gives the payload length) and Moleculer's TCP transporter (a 6-byte header —
 * CRC, int32 BE length including the header, packet type — then the packet).
 */

/** The framing of a byte stream. */
export type Framing = 'websocket' | 'moleculer';

/** A push parser over one direction of one connection. */
export interface FrameCounter {
  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void;
  /** Messages seen: WebSocket data messages (a first frame, not a continuation or control frame), or Moleculer packets. */
  readonly messages: number;
}

/** A counter for a fresh connection in the given framing. */
export function createFrameCounter(framing: Framing): FrameCounter {
  return framing === 'websocket' ? new WebSocketFrameCounter() : new MoleculerPacketCounter();
}

const HTTP_END = Buffer.from('\r\n\r\n');

/** WebSocket: skips the HTTP upgrade, then walks frame headers and skips payloads. */
class WebSocketFrameCounter implements FrameCounter {
  messages = 0;
  private inHttp = true;
  private httpTail = Buffer.alloc(0);
  /** Bytes of the current header collected so far (headers are at most 14 bytes). */
  private header = Buffer.alloc(14);
  private headerHave = 0;
  /** Payload bytes still to skip. */
  private skip = 0;

  push(chunk: Buffer): void {
    let at = 0;
    if (this.inHttp) {
      // The end marker may straddle chunks: search the last 3 bytes of before plus this chunk.
      const joined = Buffer.concat([this.httpTail, chunk]);
      const end = joined.indexOf(HTTP_END);
      if (end === -1) {
        this.httpTail = joined.subarray(Math.max(0, joined.length - 3));
        return;
      }
      this.inHttp = false;
      at = end + HTTP_END.length - this.httpTail.length;
    }
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      this.header[this.headerHave++] = chunk[at++];
      const size = this.headerSize();
      if (size === null || this.headerHave < size) continue;
      this.frameHeaderComplete();
    }
  }

  /** Total header length once the first two bytes are known, else `null`. */
  private headerSize(): number | null {
    if (this.headerHave < 2) return null;
    const len7 = this.header[1] & 0x7f;
    const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const mask = this.header[1] & 0x80 ? 4 : 0;
    return 2 + extended + mask;
  }

  private frameHeaderComplete(): void {
    const opcode = this.header[0] & 0x0f;
    const len7 = this.header[1] & 0x7f;
    this.skip =
      len7 === 126 ? this.header.readUInt16BE(2) : len7 === 127 ? Number(this.header.readBigUInt64BE(2)) : len7;
    // Continuations (0x0) carry on a message; control frames (0x8 and up) are not messages.
    if (opcode !== 0x0 && opcode < 0x8) this.messages++;
    this.headerHave = 0;
  }
}

const MOLECULER_HEADER = 6;

/** Moleculer TCP: walks packet headers and skips packet bodies. */
class MoleculerPacketCounter implements FrameCounter {
  messages = 0;
  private header = Buffer.alloc(MOLECULER_HEADER);
  private headerHave = 0;
  private skip = 0;

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      this.header[this.headerHave++] = chunk[at++];
      if (this.headerHave < MOLECULER_HEADER) continue;
      this.skip = this.header.readInt32BE(1) - MOLECULER_HEADER;
      this.messages++;
      this.headerHave = 0;
    }
  }
}
