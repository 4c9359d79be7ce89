/**
 * Parses a stream of JSON Lines as it arrives: only the current, unfinished line is held, so a
 * response of any size streams in constant memory. Blank lines are skipped.
 */
export async function* parseJsonLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  // stream: true keeps a multi-byte character split across two chunks whole.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let lineNumber = 0;
  const parsed = (line: string): unknown => {
    try {
      return JSON.parse(line);
    } catch (error) {
      throw new SyntaxError(`line ${lineNumber} is not JSON: ${(error as Error).message}`);
    }
  };
  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let newline = pending.indexOf('\n'); newline !== -1; newline = pending.indexOf('\n', start)) {
      const line = pending.slice(start, newline).trim();
      start = newline + 1;
      lineNumber += 1;
      if (line !== '') yield parsed(line);
    }
    pending = pending.slice(start);
  }
  const last = (pending + decoder.decode()).trim();
  lineNumber += 1;
  if (last !== '') yield parsed(last);
}
