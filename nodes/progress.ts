/**
 * What a CLI command is doing while it waits (reaching nodes, asking for traces), as one
 * line rewritten in place on a terminal's stderr and cleared when done. Off a terminal
 * (a pipe, a test) it writes nothing, so only the report reaches the output.
 */

/** A transient status line. */
export class Progress {
  private readonly out: NodeJS.WritableStream;
  private readonly live: boolean;
  private shown = false;

  /** `out` is where the line goes [default process.stderr]; it is shown only on a terminal. */
  constructor(out: NodeJS.WritableStream = process.stderr) {
    this.out = out;
    this.live = (out as { isTTY?: boolean }).isTTY === true;
  }

  /** Shows `text` in place of the previous line. */
  show(text: string): void {
    if (!this.live) return;
    this.out.write(`\r\x1b[K${text}`);
    this.shown = true;
  }

  /** Clears the line, before the report is printed. */
  done(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
