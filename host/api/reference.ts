/**
 * `tbn/reference`: the TypeScript integer reference of the C kernel. Every target (wasm, native, Cortex-M4,
 * RV32, lx106, Espruino, JerryScript) is compared with it bit for bit.
 *
 * ```ts
 * import { runReference } from 'tbn/reference';
 * const { cls, logits } = runReference(model, input); // model from tbn/format's readModel
 * ```
 * @module tbn/reference
 */
export { type Activations, argmax, checkInput, popcount32, type ReferenceOptions, type ReferenceResult, runReference, runReferenceInt16 } from '../reference/infer.ts';
export { expandWeights, runNaive } from '../reference/naive.ts';
export { confusionMatrix, evaluatePacked, formatConfusion } from '../reference/evaluate.ts';
export { checkInt16Params, int16InputParams, quantizeInput, quantizeInt16, quantizeSample } from '../reference/quantize.ts';
