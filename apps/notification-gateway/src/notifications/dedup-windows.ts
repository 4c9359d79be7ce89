interface Window<T> {
  entry: T;
  repeats: number;
  lastAt: string;
  timer: NodeJS.Timeout;
}

/**
 * Identical errors within a window are told once: the first opens a window; repeats inside it are
 * counted; when it closes with repeats, `onRepeats` tells how many (and a new window opens, so a
 * steady stream of one error is one message per window, with its count).
 */
export class DedupWindows<T> {
  private readonly windows = new Map<string, Window<T>>();

  constructor(
    private readonly windowMs: number,
    private readonly onRepeats: (entry: T, repeats: number, lastAt: string) => void,
  ) {}

  /** True when `key` has no open window: the caller tells this one, and a window opens for `entry`. */
  admit(key: string, entry: T, occurrences: number, at: string): boolean {
    const open = this.windows.get(key);
    if (open) {
      open.repeats += occurrences;
      open.lastAt = at;
      return false;
    }
    this.windows.set(key, { entry, repeats: 0, lastAt: at, timer: this.closeLater(key) });
    return true;
  }

  get size(): number {
    return this.windows.size;
  }

  clear(): void {
    for (const window of this.windows.values()) clearTimeout(window.timer);
    this.windows.clear();
  }

  private closeLater(key: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const window = this.windows.get(key)!;
      if (window.repeats === 0) {
        this.windows.delete(key);
        return;
      }
      const { entry, repeats, lastAt } = window;
      window.repeats = 0;
      window.timer = this.closeLater(key);
      this.onRepeats(entry, repeats, lastAt);
    }, this.windowMs);
    timer.unref();
    return timer;
  }
}
