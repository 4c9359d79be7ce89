/** Whose work a task is: slots are shared fairly between users first, then between their batches. */
export interface Owner {
  userId: string;
  batchId: string;
}

export interface FairSlots {
  /** Runs the task once a slot is its owner's turn. */
  run<T>(owner: Owner, task: () => Promise<T>): Promise<T>;
  /** Tasks running now, bursts included. */
  readonly running: number;
}

/**
 * Waiting tasks, taken in turn: users round-robin, and round-robin between the batches of the user
 * whose turn it is; within a batch, in order of arrival.
 */
class TurnQueue<V> {
  private readonly users: string[] = [];
  private readonly batchesOf = new Map<string, string[]>();
  private readonly tasksOf = new Map<string, V[]>();

  push({ userId, batchId }: Owner, value: V): void {
    const key = `${userId}\n${batchId}`;
    const tasks = this.tasksOf.get(key);
    if (tasks) return void tasks.push(value);
    this.tasksOf.set(key, [value]);
    const batches = this.batchesOf.get(userId);
    if (batches) return void batches.push(batchId);
    this.batchesOf.set(userId, [batchId]);
    this.users.push(userId);
  }

  shift(): V | undefined {
    const userId = this.users.shift();
    if (userId === undefined) return undefined;
    const batches = this.batchesOf.get(userId)!;
    const batchId = batches.shift()!;
    const key = `${userId}\n${batchId}`;
    const tasks = this.tasksOf.get(key)!;
    const value = tasks.shift()!;
    if (tasks.length > 0) batches.push(batchId);
    else this.tasksOf.delete(key);
    if (batches.length > 0) this.users.push(userId);
    else this.batchesOf.delete(userId);
    return value;
  }
}

/**
 * `size` slots shared round-robin: between users, then between each user's batches, one task per
 * turn. A batch with nothing running does not wait behind other batches' slow calls: it may start
 * one task beyond `size`, while fewer than `burst` such extra tasks run. So a user's one-item batch
 * starts at once even while another user's batch holds every slot with 40-second calls.
 */
export function fairSlots(size: number, burst: number): FairSlots {
  let running = 0;
  const runningPerBatch = new Map<string, number>();
  const waiting = new TurnQueue<() => void>();
  const keyOf = ({ userId, batchId }: Owner) => `${userId}\n${batchId}`;

  function begin(key: string): void {
    running++;
    runningPerBatch.set(key, (runningPerBatch.get(key) ?? 0) + 1);
  }

  function end(key: string): void {
    running--;
    const left = runningPerBatch.get(key)! - 1;
    if (left === 0) runningPerBatch.delete(key);
    else runningPerBatch.set(key, left);
    while (running < size) {
      const start = waiting.shift();
      if (!start) return;
      start();
    }
  }

  return {
    get running() {
      return running;
    },
    run<T>(owner: Owner, task: () => Promise<T>): Promise<T> {
      const key = keyOf(owner);
      const go = (): Promise<T> => {
        begin(key);
        return task().finally(() => end(key));
      };
      const isNewcomer = !runningPerBatch.has(key);
      if (running < size || (isNewcomer && running < size + burst)) return go();
      return new Promise<T>((resolve, reject) => waiting.push(owner, () => void go().then(resolve, reject)));
    },
  };
}
