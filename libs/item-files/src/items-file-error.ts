/** A line of an items file (or body) that is not a valid item; reading stops there. */
export class ItemsFileError extends Error {
  constructor(
    /** What the lines come from, as the message names it: a file name, or `body`. */
    readonly file: string,
    /** 1-based; a CSV record's line is the line it starts on. */
    readonly line: number,
    /** Why the line was refused, without the file and line. */
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'ItemsFileError';
  }
}
