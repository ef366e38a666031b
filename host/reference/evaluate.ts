/** Batch evaluation helpers for `tbn eval`. */
import type { PackedModel } from '../format/model.ts';
import { runReference } from './infer.ts';

/** Predicted class of each of `count` channel-last f32 examples. */
export function evaluatePacked(model: PackedModel, x: Float32Array, count: number): Int32Array {
  const len = model.inShape[0] * model.inShape[1] * model.inShape[2];
  const pred = new Int32Array(count);
  for (let i = 0; i < count; i++) pred[i] = runReference(model, x.subarray(i * len, (i + 1) * len)).cls;
  return pred;
}

/** m[true][predicted] counts. */
export function confusionMatrix(truth: Int32Array, pred: Int32Array, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < pred.length; i++) (m[truth[i] as number] as number[])[pred[i] as number]! += 1;
  return m;
}

export function formatConfusion(m: number[][], names: string[]): string {
  const short = names.map((n) => (n.length > 10 ? n.slice(0, 10) : n));
  const w = Math.max(5, ...short.map((n) => n.length), ...m.flat().map((v) => String(v).length));
  const lw = Math.max(...short.map((n) => n.length));
  const lines = [`${''.padEnd(lw)}  ${short.map((n) => n.padStart(w)).join(' ')}`];
  m.forEach((row, i) => lines.push(`${(short[i] as string).padEnd(lw)}  ${row.map((v) => String(v).padStart(w)).join(' ')}`));
  return lines.join('\n');
}
