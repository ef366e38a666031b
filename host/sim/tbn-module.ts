/**
 * The `tbn` module the simulator gives the bundle: the WebAssembly build of the
 * C kernel behind the device/TBN_MODULE.md API (host/native/tbn-module.ts).
 */
import type { TbnInfo, TbnModule } from '../../device/board.ts';
import { TbnError } from '../errors.ts';

export type TbnModuleLike = TbnModule;
export type { TbnInfo };

/** Loads the wasm-backed module; fails with a clear message when the kernel helper's build is missing. */
export async function loadWasmTbnModule(): Promise<TbnModuleLike> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(new URL('../native/tbn-module.ts', import.meta.url).href)) as Record<string, unknown>;
  } catch (e) {
    throw new TbnError('E_KERNEL', `the WebAssembly kernel module is not available (host/native/tbn-module.ts: ${(e as Error).message}); run scripts/build.sh`);
  }
  const factory = mod.loadTbnModule ?? mod.createTbnModule ?? mod.default;
  if (typeof factory !== 'function') throw new TbnError('E_KERNEL', 'host/native/tbn-module.ts exports no module factory');
  return (await (factory as () => Promise<TbnModuleLike>)()) as TbnModuleLike;
}
