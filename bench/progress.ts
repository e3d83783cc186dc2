/**
 * Progress lines for a long run: each prefixed with the time since the run began, so a
 * reader watching `npm run bench` can tell a slow step from a stuck one.
 */

/** Prints one line of progress. */
export type Progress = (line: string) => void;

/** A progress printer that stamps each line with the time elapsed since it was created. */
export function createProgress(write: (text: string) => void = (text) => process.stdout.write(text)): Progress {
  const start = Date.now();
  return function progressLine(line: string): void {
    const s = Math.floor((Date.now() - start) / 1000);
    const stamp = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    write(`[${stamp}] ${line}\n`);
  };
}

/** `12345.6` → `"12,346"`: figures in progress lines and tables read at a glance. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
