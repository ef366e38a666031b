/** Worker-thread side of pool.ts: runs one training job per message and reports progress, epochs and the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { TbnError } from '../errors.ts';
import { runJob, type TrainJob } from './jobs.ts';
import type { TrainWorkerData, WorkerReply } from './pool.ts';

const port = parentPort;
if (!port) throw new Error('train-worker.ts runs only as a worker thread');
const send = (m: WorkerReply): void => port.postMessage(m);
const { handled } = workerData as TrainWorkerData;
/** Epoch checkpoints this worker has sent. */
let sentEpochs = 0;
/** Longest wait for the pool to write an earlier epoch checkpoint. */
const EPOCH_WAIT_MS = 30_000;

/**
 * Sends an epoch checkpoint once the pool has handled all but the last one sent (one write overlaps the next
 * epoch): a training faster than the checkpoint writes (fsync) would otherwise queue messages without bound, and
 * Ctrl-C would wait behind them.
 */
function sendEpoch(ckpt: WorkerReply & { type: 'epoch' }): void {
  const until = Date.now() + EPOCH_WAIT_MS;
  for (let seen = Atomics.load(handled, 0); seen < sentEpochs - 1 && Date.now() < until; seen = Atomics.load(handled, 0)) {
    Atomics.wait(handled, 0, seen, Math.max(1, until - Date.now()));
  }
  sentEpochs++;
  send(ckpt);
}

port.on('message', (job: TrainJob) => {
  let last = 0;
  try {
    const ckpt = runJob(job, {
      progress(p) {
        const now = Date.now();
        if (!p.epochDone && now - last < 200) return;
        last = now;
        send({ type: 'progress', p });
      },
      epoch(ckpt) {
        sendEpoch({ type: 'epoch', ckpt });
      },
    });
    send({ type: 'done', ckpt });
  } catch (e) {
    const err = e as Error;
    send({ type: 'error', code: e instanceof TbnError ? e.code : 'E_INTERNAL', message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
  }
});
