/**
 * Time for the simulated board: the shim's timers, getTime() and the emulated sensors all read one
 * clock, so a sensor's samples and the app's poll timer stay in step. RealClock runs on Node's
 * timers (by-hand runs); VirtualClock keeps its own timer queue, so a test can replay minutes of
 * sensor data in seconds (runFor) or run the board N times faster than real time (pace).
 */

export interface SimClock {
  /** Milliseconds since the clock started. */
  now(): number;
  /** Runs fn after ms (0: after the current event, as Espruino's setTimeout(fn, 0)). */
  setTimeout(fn: () => void, ms: number): unknown;
  setInterval(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  /** Cancels every timer. */
  stop(): void;
}

export class RealClock implements SimClock {
  private readonly t0 = process.hrtime.bigint();
  private readonly timers = new Set<NodeJS.Timeout | NodeJS.Immediate>();

  now(): number {
    return Number(process.hrtime.bigint() - this.t0) / 1e6;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    if (!ms || ms <= 0) {
      const h: NodeJS.Immediate = setImmediate(() => {
        this.timers.delete(h);
        fn();
      });
      this.timers.add(h);
      return h;
    }
    const t: NodeJS.Timeout = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  setInterval(fn: () => void, ms: number): unknown {
    const t = setInterval(fn, Math.max(1, ms));
    this.timers.add(t);
    return t;
  }

  clear(handle: unknown): void {
    if (handle === undefined || handle === null) return;
    const h = handle as NodeJS.Timeout & NodeJS.Immediate;
    this.timers.delete(h);
    clearTimeout(h);
    clearInterval(h);
    clearImmediate(h);
  }

  stop(): void {
    for (const t of this.timers) this.clear(t);
    this.timers.clear();
  }
}

interface VirtualTimer {
  at: number;
  order: number;
  fn: () => void;
  /** Repeat period for intervals, else 0. */
  every: number;
  cancelled: boolean;
}

export class VirtualClock implements SimClock {
  private time = 0;
  private order = 0;
  /** Pending timers sorted by (at, order). */
  private queue: VirtualTimer[] = [];
  private pacer: NodeJS.Timeout | undefined;
  private running = false;

  now(): number {
    return this.time;
  }

  private insert(t: VirtualTimer): void {
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.queue[mid] as VirtualTimer;
      if (m.at < t.at || (m.at === t.at && m.order < t.order)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, t);
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t: VirtualTimer = { at: this.time + Math.max(0, ms || 0), order: this.order++, fn, every: 0, cancelled: false };
    this.insert(t);
    return t;
  }

  setInterval(fn: () => void, ms: number): unknown {
    const every = Math.max(1, ms || 0);
    const t: VirtualTimer = { at: this.time + every, order: this.order++, fn, every, cancelled: false };
    this.insert(t);
    return t;
  }

  clear(handle: unknown): void {
    const t = handle as VirtualTimer | undefined;
    if (!t || typeof t !== 'object' || !('cancelled' in t)) return;
    t.cancelled = true;
    const i = this.queue.indexOf(t);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /**
   * Time passes while the board is busy (a slow inference): timers that fall due meanwhile run
   * late, after the current callback, as on a real single-threaded board.
   */
  busy(ms: number): void {
    this.time += ms;
  }

  /** Runs every timer due up to `until` in time order (callbacks may be busy past it), then sets the time to at least `until`. */
  runUntil(until: number): void {
    if (this.running) throw new Error('VirtualClock.runUntil called from inside a timer');
    this.running = true;
    try {
      for (;;) {
        const t = this.queue[0];
        if (!t || t.at > until) break;
        this.queue.shift();
        if (t.at > this.time) this.time = t.at;
        if (t.every > 0) {
          t.at += t.every;
          if (t.at < this.time) t.at = this.time; // a late interval does not fire in a burst
          t.order = this.order++;
          this.insert(t);
        }
        t.fn();
      }
      if (until > this.time) this.time = until;
    } finally {
      this.running = false;
    }
  }

  runFor(ms: number): void {
    this.runUntil(this.time + ms);
  }

  /** Drives the clock from real time, `speed` virtual ms per real ms (1 = real time), until stop(). */
  pace(speed: number, tickMs = 5): void {
    if (this.pacer) clearInterval(this.pacer);
    let last = performance.now();
    this.pacer = setInterval(() => {
      const now = performance.now();
      const step = (now - last) * speed;
      last = now;
      if (!this.running) this.runUntil(this.time + step);
    }, tickMs);
  }

  stop(): void {
    if (this.pacer) clearInterval(this.pacer);
    this.pacer = undefined;
    for (const t of this.queue) t.cancelled = true;
    this.queue = [];
  }
}
