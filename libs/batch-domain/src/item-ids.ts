/** Ids sealed into one text at a time: large enough that a batch has few texts, small enough to join fast. */
const SEAL_EVERY = 65_536;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of the characters of `text` from `start` to `end` (an id, or one within a text of ids). */
function hashOf(text: string, start = 0, end = text.length): number {
  let hash = FNV_OFFSET;
  for (let at = start; at < end; at++) hash = Math.imul(hash ^ text.charCodeAt(at), FNV_PRIME);
  return hash >>> 0;
}

/** One text of newline-separated ids and the position of its first. */
interface Sealed {
  first: number;
  text: string;
}

/**
 * A batch's item ids in the order they were added, with their positions by id, compact for
 * 1,000,000 items (ids hold no whitespace):
 * - ids as newline-separated texts of 65,536 ids each (one for a whole batch read from a snapshot),
 *   with each id's offset in its text, instead of a string object per id;
 * - positions by id in an open-addressing table of 32-bit slots over each id's stored hash, instead
 *   of a Map.
 *
 * For 1,000,000 ids of 10 characters that is about 30 MB against 72 MB for an array and a Map, and
 * reading a snapshot's ids takes one pass over its text instead of a split and a million Map entries.
 */
export class ItemIds {
  private sealed: Sealed[] = [];
  /** Ids after the last sealed text. */
  private open: string[] = [];
  private count = 0;
  /** Offset of each sealed id in its text. */
  private offsets = new Uint32Array(0);
  private hashes = new Uint32Array(0);
  /** Position + 1 of the id whose hash lands there (linear probing); 0 for an empty slot. */
  private slots = new Int32Array(16);

  get size(): number {
    return this.count;
  }

  /** Ids from a newline-separated text (a snapshot's), in its order; the text is kept as it is. */
  static fromText(text: string): ItemIds {
    const ids = new ItemIds();
    if (text === '') return ids;
    let size = 1;
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) size++;
    ids.reserve(size);
    let start = 0;
    for (let position = 0; position < size; position++) {
      const end = position === size - 1 ? text.length : text.indexOf('\n', start);
      ids.offsets[position] = start;
      ids.hashes[position] = hashOf(text, start, end);
      ids.place(position);
      start = end + 1;
    }
    ids.sealed.push({ first: 0, text });
    ids.count = size;
    return ids;
  }

  /** The position of an id, or undefined when it is not here. */
  positionOf(id: string): number | undefined {
    const held = this.slots[this.slotOf(id, hashOf(id))]!;
    return held === 0 ? undefined : held - 1;
  }

  /** Adds an id at the end unless it is here already; answers whether it was added. */
  add(id: string): boolean {
    this.reserve(this.count + 1);
    const hash = hashOf(id);
    const slot = this.slotOf(id, hash);
    if (this.slots[slot] !== 0) return false;
    const position = this.count++;
    this.hashes[position] = hash;
    this.slots[slot] = position + 1;
    this.open.push(id);
    if (this.open.length === SEAL_EVERY) this.seal();
    return true;
  }

  at(position: number): string | undefined {
    if (position < 0 || position >= this.count) return undefined;
    const openFirst = this.count - this.open.length;
    if (position >= openFirst) return this.open[position - openFirst];
    const { text, end } = this.sealedAt(position);
    return text.slice(this.offsets[position], end);
  }

  /** Every id, newline-separated, in order (a snapshot's text). */
  toText(): string {
    const texts = this.sealed.map(({ text }) => text);
    if (this.open.length > 0) texts.push(this.open.join('\n'));
    return texts.join('\n');
  }

  *[Symbol.iterator](): Generator<string> {
    for (let position = 0; position < this.count; position++) yield this.at(position)!;
  }

  /** The slot holding an id, or the empty slot where its probe ends when it is not here. */
  private slotOf(id: string, hash: number): number {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (; this.slots[slot] !== 0; slot = (slot + 1) & mask) {
      const position = this.slots[slot]! - 1;
      if (this.hashes[position] === hash && this.holds(position, id)) break;
    }
    return slot;
  }

  private holds(position: number, id: string): boolean {
    const openFirst = this.count - this.open.length;
    if (position >= openFirst) return this.open[position - openFirst] === id;
    const { text, end } = this.sealedAt(position);
    const start = this.offsets[position]!;
    return end - start === id.length && text.startsWith(id, start);
  }

  /** The sealed text holding a position and where that id ends in it. */
  private sealedAt(position: number): { text: string; end: number } {
    let low = 0;
    let high = this.sealed.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.sealed[middle]!.first <= position) low = middle;
      else high = middle - 1;
    }
    const { text } = this.sealed[low]!;
    const next = this.sealed[low + 1]?.first ?? this.count - this.open.length;
    return { text, end: position + 1 < next ? this.offsets[position + 1]! - 1 : text.length };
  }

  private seal(): void {
    const first = this.count - this.open.length;
    const text = this.open.join('\n');
    let start = 0;
    for (let index = 0; index < this.open.length; index++) {
      this.offsets[first + index] = start;
      start += this.open[index]!.length + 1;
    }
    this.sealed.push({ first, text });
    this.open = [];
  }

  /** Room for `size` ids: per-id arrays grow by doubling, slots stay at least twice the ids. */
  private reserve(size: number): void {
    if (this.hashes.length < size) {
      const capacity = Math.max(size, this.hashes.length * 2, 1024);
      const hashes = new Uint32Array(capacity);
      hashes.set(this.hashes);
      const offsets = new Uint32Array(capacity);
      offsets.set(this.offsets);
      this.hashes = hashes;
      this.offsets = offsets;
    }
    if (this.slots.length >= size * 2) return;
    let capacity = this.slots.length;
    while (capacity < size * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    for (let position = 0; position < this.count; position++) this.place(position);
  }

  private place(position: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[position]! & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = position + 1;
  }
}
