/** Confusion matrices for `tbn report --eval` and the demo: each checkpoint's float model and the packed model on one split. */
import type { Dataset } from '../data/dataset.ts';
import { TbnError } from '../errors.ts';
import type { PackedModel } from '../format/model.ts';
import { confusionMatrix, evaluatePacked } from '../reference/evaluate.ts';
import type { Checkpoint } from '../train/checkpoint.ts';
import { exportFloatModel } from '../train/export.ts';
import { floatPredict } from '../train/float-forward.ts';
import { modelLabel } from '../train/size.ts';

export interface ReportEval {
  /** e.g. "TBN-4 (float)", "TBN-4 (.tbn, integer reference)", "TBN-4 on the simulated stm32f405". */
  title: string;
  data: string;
  count: number;
  classes: string[];
  /** confusion[true][predicted]. */
  confusion: number[][];
  accuracy: number;
}

function fromPredictions(title: string, data: Dataset, pred: Int32Array): ReportEval {
  const confusion = confusionMatrix(data.y, pred, data.classes.length);
  const correct = pred.reduce((a, p, i) => a + (p === data.y[i] ? 1 : 0), 0);
  return { title, data: data.name, count: data.count, classes: [...data.classes], confusion, accuracy: data.count > 0 ? correct / data.count : 0 };
}

function checkClasses(data: Dataset, classes: string[], what: string): void {
  if (data.classes.join('\u0000') !== classes.join('\u0000')) {
    throw new TbnError('E_INPUT', `${data.name}: classes (${data.classes.join(', ')}) differ from ${what}'s (${classes.join(', ')})`);
  }
}

/** The float model of every checkpoint, then the packed model (integer reference), on `data`. */
export function evaluateForReport(models: { file: string; checkpoint: Checkpoint }[], packed: { file: string; model: PackedModel; label: string } | undefined, data: Dataset): ReportEval[] {
  if (data.count === 0) throw new TbnError('E_INPUT', `${data.name}: the split to evaluate is empty`);
  const out: ReportEval[] = [];
  for (const m of models) {
    checkClasses(data, m.checkpoint.spec.classes, m.file);
    const float = exportFloatModel(m.checkpoint, m.file);
    out.push(fromPredictions(`${modelLabel(m.checkpoint.spec)} (float, ${m.file})`, data, floatPredict(float, data.x, data.count)));
  }
  if (packed) {
    checkClasses(data, packed.model.classes, packed.file);
    out.push(fromPredictions(`${packed.label} (packed ${packed.file}, integer reference)`, data, evaluatePacked(packed.model, data.x, data.count)));
  }
  return out;
}
