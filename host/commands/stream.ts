import { optBool, optInt, optList, optNumber, optString, UsageError } from '../cli/args.ts';
import { type Command, sigintSignal } from '../cli/command.ts';
import { openPort, requiredPort, serialOptions } from './serial-options.ts';
import { formatReport, harRecordings, int16Clipping, loadAnyRecording, StreamInterrupted, streamRecordings } from '../stream/session.ts';
import { HAR_CHANNELS } from '../data/sp-sw-har.ts';
import { packModel } from '../format/pack.ts';
import { readModel, readModelFile } from '../format/reader.ts';
import { isTbnFile, loadPackedFile } from '../format/source.ts';
import { loadFloatModel } from '../train/load-model.ts';
import type { PackedModel } from '../format/model.ts';

/** The input description of a .tbn file or a checkpoint (packed in memory). */
function modelInput(file: string): Pick<PackedModel, 'channels' | 'rateHz'> {
  const bytes = readModelFile(file);
  const m = isTbnFile(bytes) ? loadPackedFile(file, bytes) : readModel(packModel(loadFloatModel(file, bytes)));
  return { ...(m.channels ? { channels: m.channels } : {}), ...(m.rateHz !== undefined ? { rateHz: m.rateHz } : {}) };
}

export const command: Command = {
  name: 'stream',
  usage: 'tbn stream --port PATH (--recording FILE ... | --har-subjects s15-s18) [--model model.tbn] [--pace SAMPLES_PER_S | --fast] [--json]',
  summary: 'stream recordings to a board or the simulator over serial and score its predictions',
  options: [
    ...serialOptions('serial port: a board, or the path `tbn sim` printed'),
    { name: 'recording', type: 'string', repeat: true, description: 'CSV recording (sp-sw-har layout or generic labelled CSV); repeatable' },
    { name: 'har-subjects', type: 'string', description: 'stream every sp-sw-har recording of these subjects, e.g. s15-s18' },
    { name: 'data-root', type: 'string', aliases: ['har-root'], description: 'sp-sw-har folder (default ../shared/data/sp-sw-har)' },
    { name: 'pace', type: 'string', aliases: ['rate'], range: { above: 0, max: 1000000 }, description: 'paced: send this many samples per second (real time when it equals --sample-rate)' },
    { name: 'sample-rate', type: 'string', range: { above: 0, max: 100000 }, description: 'resample recordings to this rate in Hz (default: the rate stored in --model, else 50)' },
    { name: 'model', type: 'string', short: 'm', description: 'the model on the device (.tbn or checkpoint): recordings are matched to its input channels by name and unit, and resampled at its rate' },
    { name: 'fast', type: 'boolean', description: 'as fast as the link allows, flow-controlled by sequence numbers (default when --pace is absent)' },
    { name: 'int16', type: 'boolean', description: 'send samples as int16 / 2^shift instead of float32' },
    { name: 'shift', type: 'string', range: { integer: true, min: 0, max: 30 }, description: 'int16 scale exponent (value = int16 / 2^shift)', default: '8' },
    { name: 'samples-per-frame', type: 'string', range: { integer: true, min: 1, max: 255 }, description: 'samples per SAMPLES frame (default 4, or as many as one frame holds when fewer)' },
    { name: 'in-flight', type: 'string', range: { integer: true, min: 1, max: 1024 }, description: 'fast mode: most unacknowledged SAMPLES frames (keep their bytes below the board\'s receive buffer)', default: '16' },
    { name: 'quiet', type: 'boolean', description: 'do not show live predictions' },
    { name: 'json', type: 'boolean', description: 'print one JSON object' },
  ],
  async run(args, io) {
    const port = requiredPort(args);
    const files = optList(args, 'recording');
    const subjects = optString(args, 'har-subjects');
    if (files.length === 0 && !subjects) throw new UsageError('give --recording FILE or --har-subjects LIST');
    const rate = optNumber(args, 'pace');
    if (rate !== undefined && optBool(args, 'fast')) throw new UsageError('--pace and --fast exclude each other');
    const modelFile = optString(args, 'model');
    const model = modelFile ? modelInput(modelFile) : undefined;
    const givenRate = optNumber(args, 'sample-rate');
    if (givenRate !== undefined && model?.rateHz !== undefined && givenRate !== model.rateHz) {
      throw new UsageError(`--sample-rate ${givenRate} differs from the ${model.rateHz} Hz ${modelFile} was trained at`);
    }
    const loadRate = givenRate ?? model?.rateHz ?? 50;
    if (!(loadRate > 0)) throw new UsageError('--sample-rate must be positive');
    const json = optBool(args, 'json');
    const channels = model?.channels;
    if (model && !channels && !json) io.err(`${modelFile} stores no channel names (packed before they were, or with --no-input-info): columns are taken in file order`);
    const recordings = [...files.map((f) => loadAnyRecording(f, loadRate, channels)), ...(subjects ? harRecordings(subjects, optString(args, 'data-root'), loadRate, channels) : [])];
    if (!channels && !json) {
      // Not matched by name: say so for files not in the sp-sw-har layout (those are read by column name).
      for (const r of recordings.slice(0, files.length)) {
        if (r.channels.join() !== HAR_CHANNELS.join()) io.err(`note: ${r.file}: columns ${r.channels.join(',')} are sent in this order; give --model to match them to the model's channels by name`);
      }
    }
    const live = !json && !optBool(args, 'quiet');
    const int16 = optBool(args, 'int16');
    const shift = optInt(args, 'shift') ?? 8;
    if (int16) {
      const c = int16Clipping(recordings, shift);
      if (c.clipped > 0) {
        io.err(
          `warning: --shift ${shift} clips ${c.clipped.toLocaleString('en-US')} of ${c.values.toLocaleString('en-US')} values (${((100 * c.clipped) / c.values).toFixed(2)}%) to the int16 range: ` +
            `the largest |value| is ${c.maxAbs.toPrecision(4)}, so --shift ${c.largestShift} or less sends every value unclipped`,
        );
      }
    }
    const link = await openPort(args, port);
    // Ctrl-C ends the stream after the frame in progress and still prints what was scored.
    const sigint = sigintSignal();
    try {
      const report = await streamRecordings(link, recordings, {
        mode: rate === undefined ? 'fast' : 'realtime',
        rate,
        signal: sigint.signal,
        ...(channels ? { modelChannels: channels } : {}),
        format: int16 ? 'i16' : 'f32',
        shift,
        samplesPerFrame: optInt(args, 'samples-per-frame'),
        maxInFlight: optInt(args, 'in-flight') ?? 16,
        onProgress: (rec, i, n) => {
          if (!json) io.err(`[${i + 1}/${n}] ${rec.file} (${rec.count} samples)`);
        },
        onLive: live ? (line) => io.err(line) : undefined,
      });
      io.out(json ? JSON.stringify(report) : formatReport(report));
      return 0;
    } catch (e) {
      if (!(e instanceof StreamInterrupted)) throw e;
      const p = e.partial;
      const done = p.recordings.length;
      if (json) io.out(JSON.stringify({ ok: false, error: e.message, during: e.during, partial: p }));
      else {
        io.out(`partial report: ${done} of ${recordings.length} recording${recordings.length === 1 ? '' : 's'} finished before it ended\n${formatReport(p)}`);
        io.err(`tbn stream: ${e.message}`);
      }
      return e.code === 'E_INTERRUPTED' ? 130 : 1;
    } finally {
      sigint.dispose();
      await link.close();
    }
  },
};
