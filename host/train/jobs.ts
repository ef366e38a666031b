/**
 * One training as a self-contained job: spec, configuration, input statistics and data in, a resumable
 * checkpoint out. A job depends on nothing else, so jobs can run in any order, in this thread or in
 * worker threads (pool.ts), and give the same bits either way.
 */
import type { Dataset } from '../data/dataset.ts';
import type { ModelSpec, Variant } from './arch.ts';
import { checkpointFromRun, runFromCheckpoint, type Checkpoint } from './checkpoint.ts';
import type { Gemm } from './kernels.ts';
import type { InputQuant } from './network.ts';
import { TrainRun, type TrainConfig, type TrainProgress } from './trainer.ts';

export interface TrainJob {
  /** Model label, e.g. "TBN-4". */
  label: string;
  variant: Variant;
  /** candidate: one lr on the training split; fold: one lr on a cross-validation fold; refit: the saved model on train + val. */
  stage: 'candidate' | 'fold' | 'refit' | 'resume';
  fold?: { index: number; count: number };
  lr: number;
  spec: ModelSpec;
  config: TrainConfig;
  input: InputQuant;
  train: Dataset;
  /** Evaluated after every epoch (history) when given. */
  val?: Dataset;
  /** The checkpoint records a model trained on train + val. */
  refit: boolean;
  /** Report a resumable checkpoint after every epoch (for the trainings whose model is saved). */
  epochCheckpoints: boolean;
  /** Continue this checkpoint up to config.epochs instead of starting from scratch. */
  resume?: Checkpoint;
  /** Stored in the epoch checkpoints (e.g. how the lr was chosen), so resuming one can report it. */
  meta?: { metrics?: Checkpoint['metrics']; warnings?: string[] };
}

export interface JobEvents {
  progress?(p: TrainProgress): void;
  epoch?(ckpt: Checkpoint): void;
}

/** Runs jobs; `run` resolves with the job's final resumable checkpoint. */
export interface Executor {
  run(job: TrainJob, events: JobEvents): Promise<Checkpoint>;
}

/** "TBN-4 fold 2/3" / "TBN-4 refit" / "TBN-4": how progress names a job. */
export function jobName(job: Pick<TrainJob, 'label' | 'stage' | 'fold'>): string {
  if (job.fold) return `${job.label} fold ${job.fold.index + 1}/${job.fold.count}`;
  return job.stage === 'refit' ? `${job.label} refit` : job.label;
}

/** Trains one job in this thread. */
export function runJob(job: TrainJob, events: JobEvents = {}, gemm?: Gemm): Checkpoint {
  let run: TrainRun;
  if (job.resume) {
    run = runFromCheckpoint(job.resume, 'checkpoint', gemm);
    run.config.epochs = job.config.epochs;
  } else {
    run = new TrainRun(job.spec, job.config, gemm);
    run.net.input = { mean: job.input.mean.slice(), std: job.input.std.slice(), scale: job.input.scale };
  }
  run.train(job.train, job.val, (p) => {
    // the epoch checkpoint first: once progress shows an epoch as done, its checkpoint is saved
    if (p.epochDone && job.epochCheckpoints && events.epoch) events.epoch(checkpointFromRun(run, { refit: job.refit, ...job.meta }));
    events.progress?.(p);
  });
  const checkpoint = checkpointFromRun(run, { refit: job.refit });
  run.net.release(); // the checkpoint holds copies; the next job of this thread reuses the memory
  return checkpoint;
}
