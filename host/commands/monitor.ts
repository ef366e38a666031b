import { optBool, optInt, optNumber } from '../cli/args.ts';
import { type Command, sigintSignal } from '../cli/command.ts';
import { openPort, requiredPort, serialOptions } from './serial-options.ts';
import { monitorDevice, type MonitorStatus } from '../monitor/monitor.ts';
import { P } from '../protocol/frames.ts';

const ERROR_NAMES: Record<number, string> = { [P.E_OVERRUN]: 'overrun', [P.E_MODEL]: 'model', [P.E_SAMPLES]: 'samples', [P.E_INFERENCE]: 'inference', [P.E_STATE]: 'config', [P.E_SENSOR]: 'sensor' };

export const command: Command = {
  name: 'monitor',
  usage: 'tbn monitor --port PORT [--seconds S] [--count N] [--json]',
  summary: "show the live predictions of a board running on its own sensor: class, label, timing and the board's counters (losses included)",
  options: [
    ...serialOptions('serial port: a board running the app with a sensor, or the path `tbn sim --sensor` printed'),
    { name: 'seconds', type: 'string', range: { above: 0, max: 31536000 }, description: 'stop after this many seconds (default: until Ctrl-C)' },
    { name: 'count', type: 'string', range: { integer: true, min: 1, max: 1000000000 }, description: 'stop after this many predictions' },
    { name: 'json', type: 'boolean', description: 'one JSON object per line: predictions, counters every second, errors, then a summary' },
  ],
  async run(args, io) {
    const port = requiredPort(args);
    const json = optBool(args, 'json');
    const link = await openPort(args, port);
    const sigint = sigintSignal();
    let lastSince: MonitorStatus['since'] | undefined;
    const losses = (s: MonitorStatus['since']) => `${s.sensorSamples} samples, ${s.sensorLost} lost in ${s.sensorOverflows} FIFO overflows, ${s.overruns} windows skipped`;
    try {
      const report = await monitorDevice(link, {
        seconds: optNumber(args, 'seconds'),
        count: optInt(args, 'count'),
        signal: sigint.signal,
        onPrediction: (p) => {
          if (json) io.out(JSON.stringify(p));
          else io.out(`${p.t.toFixed(2).padStart(8)} s  ${p.label.padEnd(14)} (class ${p.cls})  window ending at sample ${p.endSeq}  inference ${(p.micros / 1000).toFixed(2)} ms${p.intervalMs ? `  every ${(p.intervalMs / 1000).toFixed(2)} s` : ''}`);
        },
        onStatus: (s) => {
          if (json) io.out(JSON.stringify(s));
          else if (lastSince && (s.since.sensorLost !== lastSince.sensorLost || s.since.overruns !== lastSince.overruns)) io.err(`LOSS: ${losses(s.since)} since start`);
          lastSince = s.since;
        },
        onError: (e) => {
          if (json) io.out(JSON.stringify({ type: 'error', code: e.code, name: ERROR_NAMES[e.code] ?? 'unknown', arg: e.arg, message: e.message }));
          else if (e.code !== P.E_OVERRUN) io.err(`board error ${e.code} (${ERROR_NAMES[e.code] ?? 'unknown'}): ${e.message}`);
        },
      });
      if (json) io.out(JSON.stringify(report));
      else {
        const classes = Object.entries(report.classCounts).map(([k, v]) => `${k} ${v}`).join(', ');
        io.err(`${report.predictions} predictions in ${report.seconds.toFixed(1)} s from the ${report.sensor.kind} at ${report.sensor.rateHz} Hz (${classes || 'none'}); inference mean ${(report.inferenceMicros.mean / 1000).toFixed(2)} ms, max ${(report.inferenceMicros.max / 1000).toFixed(2)} ms`);
        io.err(`${report.since.sensorLost > 0 || report.since.overruns > 0 ? 'LOSSES' : 'no losses'}: ${losses(report.since)}`);
      }
      return 0;
    } finally {
      sigint.dispose();
      await link.close();
    }
  },
};
