import { optBool, UsageError } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import { packModel } from '../format/pack.ts';
import { readModel, readModelFile } from '../format/reader.ts';
import { isTbnFile, loadPackedFile } from '../format/source.ts';
import { loadFloatModel } from '../train/load-model.ts';
import { channelsText, formatSummary, summarizeModel } from '../format/summary.ts';

export const command: Command = {
  name: 'inspect',
  usage: 'tbn inspect model.tbn [--json]',
  summary: 'per-layer size, MAC and memory summary of a .tbn file (a checkpoint is packed in memory first)',
  options: [{ name: 'json', type: 'boolean', description: 'print one JSON object' }],
  async run(args, io) {
    const [file, ...extra] = args.positionals;
    if (!file) throw new UsageError('give the .tbn file to inspect');
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const bytes = readModelFile(file);
    const fromCheckpoint = !isTbnFile(bytes);
    const m = fromCheckpoint ? readModel(packModel(loadFloatModel(file, bytes))) : loadPackedFile(file, bytes);
    const s = summarizeModel(m);
    if (optBool(args, 'json')) {
      io.out(JSON.stringify({ file, packedInMemory: fromCheckpoint, version: m.version, inShape: m.inShape, classes: m.classes, channels: m.channels ?? null, rateHz: m.rateHz ?? null, crc32: m.crc32, ...s }));
      return 0;
    }
    const title =
      `${file}${fromCheckpoint ? ' (checkpoint, packed in memory)' : ''}: .tbn v${m.version}, input ${m.inShape.join('x')} int8, ` +
      `${m.classes.length} classes (${m.classes.join(', ')})\n` +
      `input channels: ${m.channels ? channelsText(m.channels) : 'not stored in this file'}; sample rate: ${m.rateHz !== undefined ? `${m.rateHz} Hz` : 'not stored'}`;
    io.out(formatSummary(s, title));
    return 0;
  },
};
