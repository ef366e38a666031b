/** The report `tbn demo` writes beside its model: training, confusion (float, packed, device), sizes, tiles and the stream. */
import path from 'node:path';
import type { Dataset } from '../data/dataset.ts';
import type { PackedModel } from '../format/model.ts';
import { writeFileAtomic } from '../io/files.ts';
import type { StreamReport } from '../stream/session.ts';
import type { Checkpoint } from '../train/checkpoint.ts';
import { modelLabel } from '../train/size.ts';
import { evaluateForReport } from './evaluate.ts';
import { makeReport } from './index.ts';

export interface DemoReportInput {
  outDir: string;
  command: string;
  checkpoint: Checkpoint;
  modelFile: string;
  model: PackedModel;
  test: Dataset;
  stream: StreamReport;
  board: string;
}

/** Writes OUTDIR/model.ckpt.json, OUTDIR/stream.json and OUTDIR/report.html; returns the report's path. */
export async function writeDemoReport(d: DemoReportInput): Promise<string> {
  const ckptFile = path.join(d.outDir, 'model.ckpt.json');
  writeFileAtomic(ckptFile, JSON.stringify(d.checkpoint));
  const streamFile = path.join(d.outDir, 'stream.json');
  writeFileAtomic(streamFile, JSON.stringify(d.stream));
  const models = [{ file: ckptFile, checkpoint: d.checkpoint }];
  const evals = evaluateForReport(models, { file: d.modelFile, model: d.model, label: modelLabel(d.checkpoint.spec) }, d.test);
  const html = await makeReport({
    command: d.command,
    models,
    packed: { file: d.modelFile, model: d.model },
    board: d.board,
    evals,
    evalSource: `Evaluated by tbn demo on the test split (seed ${d.checkpoint.train.seed}): ${d.test.name}.`,
    stream: { file: streamFile, report: d.stream },
  });
  const file = path.join(d.outDir, 'report.html');
  writeFileAtomic(file, html);
  return file;
}
