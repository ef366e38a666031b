/** Worker-thread side of pool.ts: runs one training job per message and reports progress, epochs and the result. */
import { parentPort } from 'node:worker_threads';
import { TbnError } from '../errors.ts';
import { runJob, type TrainJob } from './jobs.ts';
import type { WorkerReply } from './pool.ts';

const port = parentPort;
if (!port) throw new Error('train-worker.ts runs only as a worker thread');
const send = (m: WorkerReply): void => port.postMessage(m);

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
        send({ type: 'epoch', ckpt });
      },
    });
    send({ type: 'done', ckpt });
  } catch (e) {
    const err = e as Error;
    send({ type: 'error', code: e instanceof TbnError ? e.code : 'E_INTERNAL', message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
  }
});
