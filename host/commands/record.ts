import { optBool, optNumber, optString, UsageError } from '../cli/args.ts';
import { type Command, sigintSignal } from '../cli/command.ts';
import { openPort, requiredPort, serialOptions } from './serial-options.ts';
import { recordFromDevice, type RecordProgress } from '../record/record.ts';
import { checkLabel, checkSubject, writeRecording } from '../record/write.ts';

export const command: Command = {
  name: 'record',
  usage: 'tbn record --port PORT --label NAME --seconds S --subject sNN [--data-root DIR]',
  summary: "record labelled data from the board's own sensor into the sp-sw-har layout (DIR/sNN/sNN_EE_sw.csv) that tbn train --data-root reads",
  options: [
    ...serialOptions('serial port: a board running the app with a sensor, or the path `tbn sim --sensor` printed'),
    { name: 'label', type: 'string', description: 'the class of everything recorded (e.g. WALKING)' },
    { name: 'seconds', type: 'string', range: { above: 0, max: 86400 }, description: 'how long to record, in the sensor\'s time' },
    { name: 'subject', type: 'string', description: 'who or what is recorded: s01, s02, ... (one folder per subject)' },
    { name: 'data-root', type: 'string', description: 'the data folder to add the recording to', default: 'recordings' },
    { name: 'json', type: 'boolean', description: 'print one JSON object with the files written and the losses' },
  ],
  async run(args, io) {
    const port = requiredPort(args);
    const labelText = optString(args, 'label');
    if (labelText === undefined) throw new UsageError('--label is required');
    const seconds = optNumber(args, 'seconds');
    if (seconds === undefined) throw new UsageError('--seconds is required');
    const subjectText = optString(args, 'subject');
    if (subjectText === undefined) throw new UsageError('--subject is required');
    const label = checkLabel(labelText);
    const subject = checkSubject(subjectText);
    const root = optString(args, 'data-root') ?? 'recordings';
    const json = optBool(args, 'json');
    const link = await openPort(args, port);
    const sigint = sigintSignal();
    const startMs = Date.now();
    let lastLine = '';
    const progress = (p: RecordProgress) => {
      const levels = p.levels.map((l, i) => `${['ax', 'ay', 'az', 'gx', 'gy', 'gz'][i]} ${Number.isFinite(l[0]) ? `${l[0].toFixed(1)}..${l[1].toFixed(1)}` : '-'}`).join('  ');
      const line = `recording ${label}: ${Math.min(p.seconds, seconds).toFixed(1)}/${seconds} s, ${p.rows} samples${p.lost ? `, ${p.lost} LOST` : ''} | ${levels}`;
      // On a terminal each progress line replaces the previous one (cursor up, clear line).
      io.err(io.interactive && lastLine ? `\u001b[1A\u001b[2K${line}` : line);
      lastLine = line;
    };
    let rec;
    try {
      rec = await recordFromDevice(link, { seconds, onProgress: json ? undefined : progress, signal: sigint.signal });
    } finally {
      sigint.dispose();
      await link.close();
    }
    const written = writeRecording(root, subject, label, rec, startMs);
    const interrupted = sigint.signal.aborted;
    const summary = {
      csv: written.csv,
      gaps: written.gaps,
      sensor: rec.kind,
      rateHz: rec.sensor.rateHz,
      rows: rec.rows,
      seconds: rec.span / rec.sensor.rateHz,
      lostSamples: rec.lost,
      gapList: rec.gaps,
      interrupted,
    };
    if (json) io.out(JSON.stringify(summary));
    else {
      io.err(`wrote ${written.csv}: ${rec.rows} samples of ${label} (${(rec.span / rec.sensor.rateHz).toFixed(2)} s at ${rec.sensor.rateHz} Hz from the ${rec.kind})${interrupted ? ', interrupted' : ''}`);
      if (rec.lost > 0) {
        io.err(`LOST ${rec.lost} samples in ${rec.gaps.length} gap${rec.gaps.length > 1 ? 's' : ''} (${rec.gaps.map((g) => `${g.samples} after row ${g.afterRow}: ${g.cause}`).join('; ')}); the timestamps skip them and ${written.gaps} lists them`);
      } else io.err(`no samples lost (${written.gaps})`);
    }
    return 0;
  },
};
