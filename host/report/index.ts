/** `tbn report` as a library: gathers what the page shows (packing the binary model when no .tbn is given) and builds it. */
import { loadBoard } from '../boards.ts';
import type { PackedModel } from '../format/model.ts';
import { packModel } from '../format/pack.ts';
import { readModel } from '../format/reader.ts';
import { exportFloatModel } from '../train/export.ts';
import { modelLabel } from '../train/size.ts';
import { buildReport, type ReportInput, type ReportModel } from './report.ts';

export { buildReport, parseBenchJson, parseStreamJson, provenance, type BenchJson, type ReportInput, type ReportModel } from './report.ts';
export { evaluateForReport, type ReportEval } from './evaluate.ts';
export { isMonitorLog, parseMonitorLog, type MonitorLog } from './monitor.ts';

/** What `buildReport` takes, with the board by name and the packed model optional. */
export type ReportRequest = Omit<ReportInput, 'packed' | 'board' | 'title'> & {
  /** A .tbn file; without it the TBN checkpoint (else the BNN) is packed. */
  packed?: { file: string; model: PackedModel; packedFrom?: string };
  board?: string;
};

/** The checkpoint whose packed form the size and tile sections show: the TBN, else the BNN. */
export function binaryModel(models: ReportModel[]): ReportModel | undefined {
  const binary = models.filter((m) => m.checkpoint.spec.weights === 'binary');
  return binary.find((m) => m.checkpoint.spec.variant === 'tbn') ?? binary[0];
}

/** The TBN (else BNN) checkpoint packed as `tbn pack` does, for the size and tile sections when no .tbn is given. */
export function packBinaryModel(models: ReportModel[]): { file: string; model: PackedModel; packedFrom: string } | undefined {
  const source = binaryModel(models);
  if (!source) return undefined;
  return { file: source.file, model: readModel(packModel(exportFloatModel(source.checkpoint, source.file))), packedFrom: `packed from ${source.file} as tbn pack does` };
}

export async function makeReport(r: ReportRequest): Promise<string> {
  let packed: ReportInput['packed'];
  if (r.packed) {
    const match = r.models.find((m) => m.checkpoint.spec.variant === 'tbn') ?? binaryModel(r.models);
    packed = { file: r.packed.file, model: r.packed.model, label: match ? modelLabel(match.checkpoint.spec) : r.packed.file, packedFrom: r.packed.packedFrom ?? 'given with --model' };
  } else {
    const auto = packBinaryModel(r.models);
    if (auto) packed = { ...auto, label: modelLabel((binaryModel(r.models) as ReportModel).checkpoint.spec) };
  }
  return buildReport({
    command: r.command,
    models: r.models,
    ...(packed ? { packed } : {}),
    board: loadBoard(r.board ?? 'stm32f405'),
    ...(r.evals ? { evals: r.evals } : {}),
    ...(r.evalSource ? { evalSource: r.evalSource } : {}),
    ...(r.stream ? { stream: r.stream } : {}),
    ...(r.monitor ? { monitor: r.monitor } : {}),
    ...(r.bench ? { bench: r.bench } : {}),
    ...(r.created ? { created: r.created } : {}),
  });
}
