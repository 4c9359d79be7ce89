import { describe, expect, it } from '@jest/globals';
import type { JetStreamManager } from '@nats-io/jetstream';
import { stillQueued } from './still-queued.js';

/** A stream whose messages the test removes, counting the lookups made. */
function streamOf(seqs: number[], failing = false) {
  const present = new Set(seqs);
  const lookups: number[] = [];
  const jsm = {
    direct: {
      getMessage: async (_stream: string, { seq }: { seq: number }) => {
        lookups.push(seq);
        if (failing) throw new Error('no responders');
        return present.has(seq) ? { seq } : null;
      },
    },
  } as unknown as JetStreamManager;
  return { jsm, lookups, remove: (seq: number) => present.delete(seq) };
}

describe('stillQueued', () => {
  it('looks the message up at once, then at most every interval', async () => {
    const stream = streamOf([7]);
    let now = 1_000;
    const check = stillQueued(stream.jsm, 'WORK', 7, () => now, 250);
    expect(await check()).toBe(true);
    now += 100;
    expect(await check()).toBe(true);
    expect(stream.lookups).toEqual([7]);
    now += 150;
    expect(await check()).toBe(true);
    expect(stream.lookups).toEqual([7, 7]);
  });

  it('answers false once the message was purged, and never looks again', async () => {
    const stream = streamOf([7]);
    let now = 0;
    const check = stillQueued(stream.jsm, 'WORK', 7, () => now, 250);
    expect(await check()).toBe(true);
    stream.remove(7);
    now += 250;
    expect(await check()).toBe(false);
    now += 10_000;
    expect(await check()).toBe(false);
    expect(stream.lookups).toHaveLength(2);
  });

  it('counts a failed lookup as still queued: a worker never drops work it cannot check', async () => {
    const check = stillQueued(streamOf([], true).jsm, 'WORK', 7);
    expect(await check()).toBe(true);
  });
});
