import { optBool, optInt, optList, optNumber, optString, UsageError } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import { openSerialLink } from '../stream/link.ts';
import { formatReport, harRecordings, loadAnyRecording, streamRecordings } from '../stream/session.ts';

export const command: Command = {
  name: 'stream',
  usage: 'tbn stream --port PATH (--recording FILE ... | --har-subjects s15-s18) [--pace SAMPLES_PER_S | --fast] [--json]',
  summary: 'stream recordings to a board or the simulator over serial and score its predictions',
  options: [
    { name: 'port', type: 'string', description: 'serial port: a board, or the path `tbn sim` printed' },
    { name: 'baud', type: 'string', range: { integer: true, min: 50, max: 4000000 }, description: 'baud rate', default: '115200' },
    { name: 'recording', type: 'string', repeat: true, description: 'CSV recording (sp-sw-har layout or generic labelled CSV); repeatable' },
    { name: 'har-subjects', type: 'string', description: 'stream every sp-sw-har recording of these subjects, e.g. s15-s18' },
    { name: 'data-root', type: 'string', aliases: ['har-root'], description: 'sp-sw-har folder (default ../shared/data/sp-sw-har)' },
    { name: 'pace', type: 'string', aliases: ['rate'], range: { above: 0, max: 1000000 }, description: 'paced: send this many samples per second (real time when it equals --sample-rate)' },
    { name: 'sample-rate', type: 'string', range: { above: 0, max: 100000 }, description: 'resample recordings to this rate in Hz (the model\'s rate)', default: '50' },
    { name: 'fast', type: 'boolean', description: 'as fast as the link allows, flow-controlled by sequence numbers (default when --pace is absent)' },
    { name: 'int16', type: 'boolean', description: 'send samples as int16 / 2^shift instead of float32' },
    { name: 'shift', type: 'string', range: { integer: true, min: 0, max: 30 }, description: 'int16 scale exponent (value = int16 / 2^shift)', default: '8' },
    { name: 'samples-per-frame', type: 'string', range: { integer: true, min: 1, max: 255 }, description: 'samples per SAMPLES frame', default: '4' },
    { name: 'in-flight', type: 'string', range: { integer: true, min: 1, max: 1024 }, description: 'fast mode: most unacknowledged SAMPLES frames (keep their bytes below the board\'s receive buffer)', default: '16' },
    { name: 'quiet', type: 'boolean', description: 'do not show live predictions' },
    { name: 'json', type: 'boolean', description: 'print one JSON object' },
  ],
  async run(args, io) {
    const port = optString(args, 'port');
    if (!port) throw new UsageError('--port is required');
    const files = optList(args, 'recording');
    const subjects = optString(args, 'har-subjects');
    if (files.length === 0 && !subjects) throw new UsageError('give --recording FILE or --har-subjects LIST');
    const rate = optNumber(args, 'pace');
    if (rate !== undefined && optBool(args, 'fast')) throw new UsageError('--pace and --fast exclude each other');
    const loadRate = optNumber(args, 'sample-rate') ?? 50;
    if (!(loadRate > 0)) throw new UsageError('--sample-rate must be positive');
    const recordings = [...files.map((f) => loadAnyRecording(f, loadRate)), ...(subjects ? harRecordings(subjects, optString(args, 'data-root'), loadRate) : [])];
    const json = optBool(args, 'json');
    const live = !json && !optBool(args, 'quiet');
    const link = await openSerialLink(port, optInt(args, 'baud') ?? 115200);
    try {
      const report = await streamRecordings(link, recordings, {
        mode: rate === undefined ? 'fast' : 'realtime',
        rate,
        format: optBool(args, 'int16') ? 'i16' : 'f32',
        shift: optInt(args, 'shift') ?? 8,
        samplesPerFrame: optInt(args, 'samples-per-frame') ?? 4,
        maxInFlight: optInt(args, 'in-flight') ?? 16,
        onProgress: (rec, i, n) => {
          if (!json) io.err(`[${i + 1}/${n}] ${rec.file} (${rec.count} samples)`);
        },
        onLive: live ? (line) => io.err(line) : undefined,
      });
      io.out(json ? JSON.stringify(report) : formatReport(report));
      return 0;
    } finally {
      await link.close();
    }
  },
};
