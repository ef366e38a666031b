/**
 * Paces a byte stream at a UART's rate (baud / 10 bytes per second for 8N1), so the
 * simulator can behave like a board behind a 115200-baud line instead of an instant pty.
 */
export interface Pacer {
  push(bytes: Uint8Array): void;
  /** Bytes waiting. */
  backlog(): number;
  stop(): void;
}

export function createPacer(bytesPerSecond: number, deliver: (bytes: Uint8Array) => void, tickMs = 2): Pacer {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let credit = 0;
  let last = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    timer = undefined;
    const now = performance.now();
    credit = Math.min(credit + ((now - last) / 1000) * bytesPerSecond, bytesPerSecond * 0.01 + 64);
    last = now;
    while (queue.length > 0 && credit >= 1) {
      const head = queue[0] as Uint8Array;
      const n = Math.min(head.length, Math.floor(credit));
      deliver(head.subarray(0, n));
      credit -= n;
      queued -= n;
      if (n === head.length) queue.shift();
      else queue[0] = head.subarray(n);
    }
    if (queue.length > 0) timer = setTimeout(pump, tickMs);
  };
  return {
    push(bytes) {
      if (bytes.length === 0) return;
      if (queue.length === 0 && timer === undefined) last = performance.now();
      queue.push(bytes.slice());
      queued += bytes.length;
      if (timer === undefined) timer = setTimeout(pump, 0);
    },
    backlog: () => queued,
    stop() {
      if (timer) clearTimeout(timer);
      queue.length = 0;
      queued = 0;
    },
  };
}
