import { statSync } from 'node:fs';
import path from 'node:path';
import { optBool, optString, UsageError } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import { TbnError } from '../errors.ts';
import { packModel } from '../format/pack.ts';
import { readModel, readModelFile } from '../format/reader.ts';
import { isTbnFile } from '../format/source.ts';
import { loadFloatModel } from '../train/load-model.ts';
import { channelsText, summarizeModel } from '../format/summary.ts';
import { writeFileAtomic } from '../io/files.ts';

/** True when both paths name one file (same device and inode, so links and ./x vs x count too). */
function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

export const command: Command = {
  name: 'pack',
  usage: 'tbn pack CHECKPOINT -o model.tbn [--no-reuse] [--keep-input-shape] [--json]',
  summary: 'pack a training checkpoint (or FloatModel JSON) into a .tbn model file',
  options: [
    { name: 'out', short: 'o', type: 'string', aliases: ['output'], description: 'the .tbn file to write' },
    { name: 'reuse', type: 'boolean', description: 'mark layers whose p divides their channels for p-fold reuse (--no-reuse: same integers, no row sharing)', default: 'true' },
    { name: 'input-info', type: 'boolean', description: 'store the input channel names, units and sample rate from training (--no-input-info: a file kernels from before the channel table also load)', default: 'true' },
    { name: 'keep-input-shape', type: 'boolean', description: 'never re-declare an image input of a first dense layer as (1, W, C) (that saves the per-pixel row padding)' },
    { name: 'json', type: 'boolean', description: 'print one JSON object' },
  ],
  async run(args, io) {
    const [input, ...extra] = args.positionals;
    if (!input) throw new UsageError('give the checkpoint to pack');
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const output = optString(args, 'out');
    if (!output) throw new UsageError('-o model.tbn is required');
    if (sameFile(input, output)) throw new UsageError(`-o ${output} is the checkpoint being packed: writing it would destroy the input; choose another output file`);
    const bytes = readModelFile(input);
    if (isTbnFile(bytes)) throw new TbnError('E_INPUT', `${input} is already a packed .tbn file`);
    const fm = loadFloatModel(input, bytes);
    const packed = packModel(fm, { reuse: args.options.reuse !== false, reshapeInput: !optBool(args, 'keep-input-shape'), inputInfo: args.options['input-info'] !== false });
    // Temp file + fsync + rename: a failed write (full disk, EFBIG) leaves the previous model intact.
    writeFileAtomic(output, packed);
    const m = readModel(packed);
    const s = summarizeModel(m);
    const t = s.totals;
    if (optBool(args, 'json')) {
      io.out(JSON.stringify({
        input, output, fileBytes: m.fileBytes, crc32: m.crc32, layers: m.layers.length, classes: m.classes,
        inShape: m.inShape, channels: m.channels ?? null, rateHz: m.rateHz ?? null, scratchBytes: m.scratchBytes, tileBits: t.tileBits, fp32Bytes: t.fp32Bytes,
        fp32OverFile: t.fp32OverFile, tiledRatioToBnn: t.tiledRatioToBnn, macs: t.macs, macsWithReuse: t.macsWithReuse,
      }));
      return 0;
    }
    const reshaped = m.inShape.join('x') !== fm.input.shape.join('x');
    io.out(
      `wrote ${output}: ${m.fileBytes} B, ${m.layers.length} layers, ${m.classes.length} classes, scratch ${m.scratchBytes} B, ` +
        `${t.tileBits} tile bits (${t.fp32OverFile.toFixed(1)}x smaller than FP32), crc32 ${m.crc32.toString(16).padStart(8, '0')}` +
        `\ninput channels: ${m.channels ? channelsText(m.channels) : 'not stored'}${m.rateHz !== undefined ? `, ${m.rateHz} Hz` : ''}` +
        (reshaped ? `\ninput declared as ${m.inShape.join('x')} (same channel-last order as ${fm.input.shape.join('x')}) so the first dense layer's rows are not padded per position` : ''),
    );
    return 0;
  },
};
