/**
 * A pool of worker threads that run training jobs (jobs.ts), so independent trainings (lr candidates,
 * cross-validation folds, variants) use every core. Each job is a pure function of its inputs, so results do
 * not depend on the number of workers. Data sets are copied once into shared memory and shared by all jobs.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Dataset } from '../data/dataset.ts';
import { TbnError } from '../errors.ts';
import type { Checkpoint } from './checkpoint.ts';
import type { Executor, JobEvents, TrainJob } from './jobs.ts';
import type { TrainProgress } from './trainer.ts';

/** The default --jobs: the number of cores. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** What a training worker starts with. */
export interface TrainWorkerData {
  /** The number of epoch checkpoints the pool has handled (written): a worker keeps at most one more in flight. */
  handled: Int32Array;
}

export type WorkerReply =
  | { type: 'progress'; p: TrainProgress }
  | { type: 'epoch'; ckpt: Checkpoint }
  | { type: 'done'; ckpt: Checkpoint }
  | { type: 'error'; code: string; message: string; stack?: string };

interface Pending {
  job: TrainJob;
  events: JobEvents;
  resolve(c: Checkpoint): void;
  reject(e: Error): void;
}

/** Thrown into pending jobs when the pool is closed (Ctrl-C). */
export class PoolClosedError extends TbnError {
  constructor() {
    super('E_INTERRUPTED', 'training interrupted');
  }
}

function toShared<T extends Float32Array | Int32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const sab = new SharedArrayBuffer(a.byteLength);
  const copy = (a instanceof Float32Array ? new Float32Array(sab) : new Int32Array(sab)) as T;
  copy.set(a as never);
  return copy;
}

/**
 * The worker's entry. Compiled (dist/host/train/*.js): the worker module itself. From the TypeScript sources: tsx
 * is registered inside the worker first (module loaders are per thread), then the .ts module is imported.
 */
function workerEntry(): { source: URL | string; eval: boolean } {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return { source: new URL('./train-worker.js', self), eval: false };
  const api = pathToFileURL(createRequire(self).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL('./train-worker.ts', self).href;
  return { source: `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, eval: true };
}

export class WorkerPool implements Executor {
  private readonly size: number;
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private readonly shared = new WeakMap<Dataset, Dataset>();
  private workers = 0;
  private closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new TbnError('E_OPTION', `--jobs must be a positive integer, got ${size}`);
    this.size = size;
  }

  run(job: TrainJob, events: JobEvents): Promise<Checkpoint> {
    if (this.closed) return Promise.reject(new PoolClosedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ job: this.share(job), events, resolve, reject });
      this.pump();
    });
  }

  /** Stops every worker; pending and running jobs reject with PoolClosedError. Bounded: terminate() is awaited with a timeout. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.busy.keys()];
    for (const p of [...this.queue, ...this.busy.values()]) p.reject(new PoolClosedError());
    this.queue.length = 0;
    this.busy.clear();
    this.idle.length = 0;
    await Promise.all(all.map((w) => Promise.race([w.terminate(), new Promise((r) => setTimeout(r, 5000).unref())])));
  }

  private share(job: TrainJob): TrainJob {
    const s = (d: Dataset): Dataset => {
      let out = this.shared.get(d);
      if (!out) {
        out = { ...d, x: toShared(d.x), y: toShared(d.y) };
        this.shared.set(d, out);
      }
      return out;
    };
    return { ...job, train: s(job.train), ...(job.val ? { val: s(job.val) } : {}) };
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let w = this.idle.pop();
      if (!w) {
        if (this.workers >= this.size) return;
        w = this.spawn();
      }
      const next = this.queue.shift() as Pending;
      this.busy.set(w, next);
      w.ref(); // a running job keeps the process alive
      w.postMessage(next.job);
    }
  }

  private spawn(): Worker {
    const entry = workerEntry();
    // epoch checkpoints handled so far: the worker keeps at most one in flight
    const handled = new Int32Array(new SharedArrayBuffer(4));
    const w = new Worker(entry.source, { eval: entry.eval, workerData: { handled } satisfies TrainWorkerData });
    this.workers++;
    w.on('message', (m: WorkerReply) => {
      const p = this.busy.get(w);
      if (m.type === 'epoch') {
        try {
          p?.events.epoch?.(m.ckpt);
        } finally {
          Atomics.add(handled, 0, 1);
          Atomics.notify(handled, 0);
        }
        return;
      }
      if (!p) return;
      if (m.type === 'progress') p.events.progress?.(m.p);
      else {
        this.busy.delete(w);
        this.idle.push(w);
        w.unref();
        if (m.type === 'done') p.resolve(m.ckpt);
        else {
          const error = new TbnError(m.code, m.message);
          // the worker's own stack: where an internal error happened
          if (m.stack) error.stack = `${error.name}: ${m.message}\n    in a training worker:\n${m.stack}`;
          p.reject(error);
        }
        this.pump();
      }
    });
    const lost = (why: string): void => {
      const p = this.busy.get(w);
      this.busy.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      this.workers--;
      p?.reject(new TbnError('E_WORKER', `a training worker ${why}`));
      if (!this.closed) this.pump();
    };
    w.on('error', (e) => lost(`failed: ${e.message}`));
    // an exit without a reply (out of memory, killed) must not leave its job waiting forever
    w.on('exit', (code) => {
      if (this.busy.has(w) || this.idle.includes(w)) lost(`stopped (exit code ${code})`);
    });
    w.unref();
    return w;
  }
}
