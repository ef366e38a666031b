/**
 * `tbn/sim`: the device simulator — the exact ES5 device bundle in node:vm against an Espruino shim, with the
 * board's limits enforced, the C kernel (WebAssembly) behind `require("tbn")`, reachable in-process or behind a pty.
 *
 * ```ts
 * import { loadBoard, loadWasmTbnModule, readBundle, startPtySimulator } from 'tbn/sim';
 * const sim = await startPtySimulator({ board: loadBoard('stm32f405'), bundle: readBundle(), model, tbn: await loadWasmTbnModule() });
 * console.log(`tbn stream --port ${sim.hostPath} ...`);
 * await sim.close();
 * ```
 * @module tbn/sim
 */
export { type AppConfig, appBufferBytes, CONFIG_FILE, defaultBundlePath, estimateLimits, MODEL_FILE, readBundle, type SimLimits, Simulator, type SimulatorOptions } from '../sim/simulator.ts';
export { type PtySimulator, type PtySimulatorOptions, startPtySimulator } from '../sim/serve.ts';
export { type InProcessSim, startInProcess } from '../sim/in-process.ts';
export { loadWasmTbnModule, type TbnInfo, type TbnModuleLike } from '../sim/tbn-module.ts';
export { referenceTbnModule } from '../sim/reference-tbn.ts';
export { type EngineDevice, type EngineKind, startEngineDevice } from '../sim/engine.ts';
export { type BoardDefinition, checkFit, type FitRequest, type FitResult, type FitRow, listBoards, loadBoard, type QemuMachine } from '../boards.ts';
export type { TbnModule } from '../../device/board.ts';
