import { describe, expect, it } from '@jest/globals';
import { fairSlots, type Owner } from './fair-slots.js';

/** A task that runs until released, recording that it started. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, task: () => opened };
}

const owner = (userId: string, batchId: string): Owner => ({ userId, batchId });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('fair slots', () => {
  it('never runs more than its size for batches already running, even when tasks end and start in one tick', async () => {
    const slots = fairSlots(3, 2);
    let active = 0;
    let peak = 0;
    const task = async () => {
      active++;
      peak = Math.max(peak, active);
      await Promise.resolve();
      active--;
    };
    const x = owner('u1', 'x');
    await slots.run(x, task);
    const held = gate();
    const holding = slots.run(x, held.task);
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        index % 2 ? slots.run(x, task) : Promise.resolve().then(() => slots.run(x, task)),
      ),
    );
    held.open();
    await holding;
    expect(peak).toBe(2);
  });

  it("starts a batch with nothing running at once, beyond the size, while another batch's slow tasks hold every slot", async () => {
    const slots = fairSlots(3, 2);
    const slow = gate();
    const x = Array.from({ length: 6 }, () => slots.run(owner('x-user', 'x'), slow.task));
    await tick();
    expect(slots.running).toBe(3);
    const started: string[] = [];
    const quick = (name: string) => async () => void started.push(name);
    await slots.run(owner('y-user', 'y'), quick('y'));
    await slots.run(owner('z-user', 'z'), quick('z'));
    expect(started).toEqual(['y', 'z']);
    // Bursts are bounded: with two extra tasks running, a third newcomer waits its turn.
    const hold = gate();
    const y = slots.run(owner('y-user', 'y'), hold.task);
    const z = slots.run(owner('z-user', 'z'), hold.task);
    const w = slots.run(owner('w-user', 'w'), quick('w'));
    await tick();
    expect(slots.running).toBe(5);
    expect(started).toEqual(['y', 'z']);
    hold.open();
    await Promise.all([y, z]);
    expect(slots.running).toBe(3);
    // Then it takes the first regular slot that frees.
    slow.open();
    await Promise.all([...x, w]);
    expect(started).toEqual(['y', 'z', 'w']);
    expect(slots.running).toBe(0);
  });

  it('takes waiting tasks round-robin: users first, then each user their batches, each batch in order', async () => {
    const slots = fairSlots(1, 0);
    const first = gate();
    const holding = slots.run(owner('a', 'a1'), first.task);
    const order: string[] = [];
    const record = (name: string) => async () => void order.push(name);
    const waiting = [
      ...['a1-1', 'a1-2', 'a1-3'].map((name) => slots.run(owner('a', 'a1'), record(name))),
      ...['a2-1', 'a2-2'].map((name) => slots.run(owner('a', 'a2'), record(name))),
      ...['b1-1', 'b1-2', 'b1-3'].map((name) => slots.run(owner('b', 'b1'), record(name))),
    ];
    first.open();
    await Promise.all([holding, ...waiting]);
    expect(order).toEqual(['a1-1', 'b1-1', 'a2-1', 'b1-2', 'a1-2', 'b1-3', 'a2-2', 'a1-3']);
  });

  it('passes on what a task answers or throws', async () => {
    const slots = fairSlots(1, 0);
    await expect(slots.run(owner('u', 'b'), async () => 42)).resolves.toBe(42);
    await expect(slots.run(owner('u', 'b'), () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(slots.running).toBe(0);
  });
});
