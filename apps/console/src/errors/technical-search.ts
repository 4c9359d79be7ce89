export interface TechnicalBlock {
  title: string;
  text: string;
}

export interface FilteredBlock extends TechnicalBlock {
  /** Lines shown: all of them without a query, the matching ones with one. */
  lines: string[];
}

/** Keeps the lines of each block that contain `query` (case-insensitive); blocks without a match go. */
export function filterTechnical(
  blocks: TechnicalBlock[],
  query: string,
): { blocks: FilteredBlock[]; matches: number } {
  const needle = query.trim().toLowerCase();
  let matches = 0;
  const filtered: FilteredBlock[] = [];
  for (const block of blocks) {
    const all = block.text.split('\n');
    const lines = needle === '' ? all : all.filter((line) => line.toLowerCase().includes(needle));
    matches += needle === '' ? 0 : lines.length;
    if (lines.length > 0) filtered.push({ ...block, lines });
  }
  return { blocks: filtered, matches };
}

/** A line split around the matches of `query`, for <mark>. */
export function splitMatches(line: string, query: string): { text: string; match: boolean }[] {
  const needle = query.trim().toLowerCase();
  if (needle === '') return [{ text: line, match: false }];
  const parts: { text: string; match: boolean }[] = [];
  const lower = line.toLowerCase();
  let from = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
    if (at > from) parts.push({ text: line.slice(from, at), match: false });
    parts.push({ text: line.slice(at, at + needle.length), match: true });
    from = at + needle.length;
  }
  if (from < line.length) parts.push({ text: line.slice(from), match: false });
  return parts;
}
