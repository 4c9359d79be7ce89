import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ItemIds } from './item-ids.js';

/** What ItemIds must answer like: an array and a Map. */
function model(ids: readonly string[]) {
  const positions = new Map<string, number>();
  const order: string[] = [];
  for (const id of ids)
    if (!positions.has(id)) {
      positions.set(id, order.length);
      order.push(id);
    }
  return { positions, order };
}

function pushAll(target: ItemIds, ids: readonly string[]): void {
  const added = ids.map((id) => [target.positionOf(id) === undefined, target.add(id)]);
  expect(added.filter(([absent, add]) => absent !== add)).toEqual([]);
}

function expectLike(ids: ItemIds, expected: ReturnType<typeof model>, probes: readonly string[]): void {
  expect(ids.size).toBe(expected.order.length);
  expect([...ids]).toEqual(expected.order);
  expect(expected.order.map((_, position) => ids.at(position))).toEqual(expected.order);
  expect([...expected.order, ...probes].map((id) => ids.positionOf(id))).toEqual(
    [...expected.order, ...probes].map((id) => expected.positions.get(id)),
  );
  expect([ids.at(-1), ids.at(ids.size)]).toEqual([undefined, undefined]);
}

// Short ids over few characters: many repeats, prefixes of one another and hash neighbours.
const anId = fc.stringMatching(/^[a-c0-9é\u{1F600}-]{1,6}$/u);

describe('ItemIds', () => {
  it('adds each id once and answers positions and ids as an array and a Map would, pushed, read from text, or both', () =>
    fc.assert(
      fc.property(fc.array(anId, { maxLength: 300 }), fc.array(anId, { maxLength: 100 }), (first, then) => {
        const pushed = new ItemIds();
        pushAll(pushed, first);
        expectLike(pushed, model(first), then);

        const read = ItemIds.fromText(pushed.toText());
        expectLike(read, model(first), then);
        pushAll(read, then);
        pushAll(pushed, then);
        expectLike(read, model([...first, ...then]), first);
        expectLike(pushed, model([...first, ...then]), first);
        expect(read.toText()).toBe(pushed.toText());
      }),
      { numRuns: 300 },
    ));

  it('holds 200,000 ids across sealed texts, read back from its text after more were pushed', () => {
    const all = Array.from({ length: 200_000 }, (_, index) => `item-${index}`);
    const ids = new ItemIds();
    pushAll(ids, all.slice(0, 150_000));
    const read = ItemIds.fromText(ids.toText());
    pushAll(ids, all.slice(150_000));
    pushAll(read, all.slice(150_000));
    for (const target of [ids, read]) {
      expect(target.size).toBe(all.length);
      for (const position of [0, 65_535, 65_536, 65_537, 131_071, 131_072, 149_999, 150_000, 199_999]) {
        expect(target.at(position)).toBe(all[position]);
        expect(target.positionOf(all[position]!)).toBe(position);
      }
      expect(target.positionOf('item-200000')).toBeUndefined();
      expect(target.positionOf('item-')).toBeUndefined();
      expect(target.toText()).toBe(all.join('\n'));
    }
  });

  it('reads an empty text as no ids, and writes none as an empty text', () => {
    expect(ItemIds.fromText('').size).toBe(0);
    expect(new ItemIds().toText()).toBe('');
  });
});
