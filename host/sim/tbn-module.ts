/**
 * The `tbn` module the simulator gives the bundle: the WebAssembly build of the
 * C kernel behind the device/TBN_MODULE.md API (host/native/tbn-module.ts).
 */
import type { TbnInfo, TbnModule } from '../../device/board.ts';
import { TbnError } from '../errors.ts';
import { createTbnModule } from '../native/tbn-module.ts';

export type TbnModuleLike = TbnModule;
export type { TbnInfo };

/** The wasm-backed module; fails with a clear message when build/native/tbn.wasm is missing. */
export async function loadWasmTbnModule(): Promise<TbnModuleLike> {
  try {
    return createTbnModule() as unknown as TbnModuleLike;
  } catch (e) {
    throw new TbnError('E_KERNEL', `the WebAssembly kernel is not available: ${(e as Error).message}`);
  }
}
