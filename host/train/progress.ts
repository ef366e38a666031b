/**
 * Progress over all trainings of a command: which training of how many, the fold and lr, per-training epoch
 * progress, and an ETA from the work done so far (training examples x epochs, all trainings together).
 * Formats text only; the CLI decides where it goes.
 */
import { jobName, type TrainJob } from './jobs.ts';
import type { TrainProgress } from './trainer.ts';

interface Active {
  index: number;
  job: TrainJob;
  p?: TrainProgress;
  started: number;
}

/** 3e-3 for small rates, 0.1 otherwise. */
export function formatLr(lr: number): string {
  if (lr >= 0.01 || lr === 0) return String(lr);
  const [m, e] = lr.toExponential().split('e') as [string, string];
  return `${Number(Number(m).toPrecision(3))}e${Number(e)}`;
}

/** m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const pct = (x: number): string => (100 * x).toFixed(2);

export class ProgressBoard {
  private readonly total: number;
  private readonly totalWork: number;
  private readonly started: number;
  private readonly now: () => number;
  private next = 0;
  private doneWork = 0;
  readonly active = new Map<TrainJob, Active>();

  constructor(trainings: number, sampleEpochs: number, now: () => number = Date.now) {
    this.total = trainings;
    this.totalWork = sampleEpochs;
    this.now = now;
    this.started = now();
  }

  private jobWork(job: TrainJob): number {
    return job.train.count * (job.config.epochs - (job.resume?.train.epochsDone ?? 0));
  }

  private activeWork(a: Active): number {
    if (!a.p) return 0;
    const first = a.job.resume?.train.epochsDone ?? 0;
    const epochs = a.p.epoch - 1 - first + a.p.step / a.p.steps;
    return Math.min(this.jobWork(a.job), epochs * a.job.train.count);
  }

  start(job: TrainJob): void {
    this.next++;
    this.active.set(job, { index: this.next, job, started: this.now() });
  }

  update(job: TrainJob, p: TrainProgress): void {
    const a = this.active.get(job);
    if (a) a.p = p;
  }

  /** Removes a finished training; returns its summary line. */
  end(job: TrainJob): string {
    const a = this.active.get(job);
    this.active.delete(job);
    this.doneWork += this.jobWork(job);
    if (!a) return '';
    const stats = a.p ? ` loss ${a.p.loss.toFixed(4)} acc ${pct(a.p.accuracy)}%${a.p.valAccuracy !== undefined ? ` val ${pct(a.p.valAccuracy)}%` : ''}` : '';
    return `done ${this.head(a)}: ${job.config.epochs} epochs in ${formatDuration((this.now() - a.started) / 1000)}${stats}`;
  }

  /** Fraction of all work done, and the ETA in seconds once enough is done to estimate it. */
  estimate(): { fraction: number; eta?: number } {
    let work = this.doneWork;
    for (const a of this.active.values()) work += this.activeWork(a);
    const fraction = this.totalWork > 0 ? Math.min(1, work / this.totalWork) : 0;
    const elapsed = (this.now() - this.started) / 1000;
    if (fraction < 0.01 || elapsed < 2) return { fraction };
    return { fraction, eta: (elapsed * (1 - fraction)) / fraction };
  }

  /** "training 5 of 21 · TBN-4 fold 2/3 · lr 3e-3" */
  head(a: Active): string {
    const fold = a.job.fold ? ` · fold ${a.job.fold.index + 1}/${a.job.fold.count}` : '';
    const stage = a.job.stage === 'refit' ? ' · refit on train+val' : a.job.stage === 'resume' ? ' · resumed' : '';
    return `training ${a.index} of ${this.total} · ${a.job.label}${fold}${stage} · lr ${formatLr(a.job.lr)}`;
  }

  /** One line per running training: head, epoch, a bar and the running loss/accuracy. */
  line(job: TrainJob, width = 20): string {
    const a = this.active.get(job);
    if (!a) return '';
    const p = a.p;
    if (!p) return `${this.head(a)} · starting`;
    const filled = Math.round((width * p.step) / p.steps);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const val = p.valAccuracy !== undefined ? ` val ${pct(p.valAccuracy)}%` : '';
    return `${this.head(a)} · epoch ${p.epoch}/${p.epochs} ${bar} loss ${p.loss.toFixed(4)} acc ${pct(p.accuracy)}%${val}`;
  }

  /** "all trainings: 38% · elapsed 1:20 · ETA 2:10" */
  overall(): string {
    const { fraction, eta } = this.estimate();
    const elapsed = formatDuration((this.now() - this.started) / 1000);
    return `all ${this.total} trainings: ${(100 * fraction).toFixed(0)}% · elapsed ${elapsed} · ETA ${eta === undefined ? '…' : formatDuration(eta)}`;
  }

  /** A plain (non-terminal) line for a finished epoch: the training, its epoch stats and the overall ETA. */
  epochLine(job: TrainJob, p: TrainProgress): string {
    const a = this.active.get(job);
    const name = a ? this.head(a) : jobName(job);
    const { eta } = this.estimate();
    const val = p.valAccuracy !== undefined ? ` val ${pct(p.valAccuracy)}%` : '';
    return `${name} · epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)} acc ${pct(p.accuracy)}%${val}${eta !== undefined ? ` · ETA ${formatDuration(eta)}` : ''}`;
  }
}
