/**
 * `tbn sim --sensor` as a library: the model's input channels (stored in the .tbn, or assumed),
 * the sensor config `tbn build --sensor` would write, and the replay the emulated sensor plays.
 */
import { TbnError } from '../errors.ts';
import { HAR_CHANNELS } from '../data/sp-sw-har.ts';
import type { PackedModel } from '../format/model.ts';
import { buildSensorConfig, type SensorConfig, type SensorMode } from '../sensors/config.ts';
import { modelChannels as storedModelChannels } from '../sensors/model-sensor.ts';
import { harUnit, type ModelChannel, parseChannelName, type SensorKind, type SensorRanges } from '../sensors/spec.ts';
import { harRecordings, loadAnyRecording } from '../stream/session.ts';
import { replayFromRecordings, sensorActualRate, type SensorReplay } from './sensor-replay.ts';

export interface ModelChannels {
  channels: ModelChannel[];
  /** Set when the model stores no names: the names and units were assumed (say so to the user). */
  assumption?: string;
}

/**
 * The model's input channels with units. Models packed with the channel table carry them; for older
 * files the sp-sw-har channels are ASSUMED (6 inputs: x/y/z_acc in m/s2 and x/y/z_gyro in rad/s; 3
 * inputs: the accelerometer's), and the caller prints the assumption.
 */
export function modelChannels(model: PackedModel | undefined, units: Record<string, string> = {}): ModelChannels {
  if (model === undefined) return { channels: [] };
  const inC = model.inShape[2];
  const stored = model.channels;
  if (stored && stored.length > 0) {
    // Names stored, units perhaps not (models packed from older checkpoints): assume them by the name's quantity, and say so.
    const given = { ...units };
    const assumed: string[] = [];
    for (const c of stored) {
      const q = parseChannelName(c.name)?.quantity;
      if (c.unit === '' && given[c.name] === undefined && q) {
        given[c.name] = harUnit(q);
        assumed.push(`${c.name} (${given[c.name]})`);
      }
    }
    const channels = storedModelChannels(model, 'the model', given);
    return assumed.length ? { channels, assumption: `the model stores no units for ${assumed.join(', ')}: assumed as shown (give --units NAME=UNIT otherwise)` } : { channels };
  }
  const har = (n: string): ModelChannel => ({ name: n, unit: harUnit(n.endsWith('_acc') ? 'accel' : 'gyro') });
  if (inC === 6) return { channels: HAR_CHANNELS.map(har), assumption: 'the model stores no channel names: assuming sp-sw-har\'s x_acc,y_acc,z_acc (m/s2), x_gyro,y_gyro,z_gyro (rad/s)' };
  if (inC === 3) return { channels: HAR_CHANNELS.slice(0, 3).map(har), assumption: 'the model stores no channel names: assuming sp-sw-har\'s x_acc,y_acc,z_acc (m/s2)' };
  throw new TbnError('E_SENSOR', `the model stores no channel names and has ${inC} inputs: repack it with this tbn (tbn pack writes the channel table) to use a sensor`);
}

export interface SimSensorPlan {
  config: SensorConfig;
  replay: SensorReplay;
  notes: string[];
}

export interface SimSensorPlanOptions {
  kind: SensorKind;
  model?: PackedModel;
  mode?: SensorMode;
  /** The model's rate in Hz (default: stored in the model, else 50). */
  rateHz?: number;
  ranges?: SensorRanges;
  dlpf?: number;
  pollMs?: number;
  overrides?: Record<string, string>;
  /** Units for channels whose unit the model does not store. */
  units?: Record<string, string>;
  /** Recordings to replay (files), or sp-sw-har subjects. */
  replayFiles?: string[];
  harSubjects?: string;
  dataRoot?: string;
}

export function planSimSensor(o: SimSensorPlanOptions): SimSensorPlan {
  const notes: string[] = [];
  const { channels, assumption } = modelChannels(o.model, o.units);
  if (assumption) notes.push(assumption);
  const storedRate = o.model?.rateHz;
  const rateHz = o.rateHz ?? storedRate ?? 50;
  const quant = o.model ? { quant: { mul: o.model.quantMul, add: o.model.quantAdd } } : {};
  const config = buildSensorConfig({ kind: o.kind, channels, rateHz, mode: o.mode, ranges: o.ranges, dlpf: o.dlpf, pollMs: o.pollMs, overrides: o.overrides, ...quant });
  const actual = sensorActualRate(o.kind, rateHz, config.dlpf);
  if (Math.abs(actual - rateHz) > 1e-9) notes.push(`the ${o.kind} samples at ${actual.toFixed(3)} Hz for a requested ${rateHz} Hz (its clock divider); the model was trained at ${rateHz} Hz`);
  const files = o.replayFiles ?? [];
  if (files.length === 0 && !o.harSubjects) throw new TbnError('E_OPTION', 'give what the sensor replays: --replay FILE or --har-subjects s15-s18');
  const recordings = [...files.map((f) => loadAnyRecording(f, actual)), ...(o.harSubjects ? harRecordings(o.harSubjects, o.dataRoot, actual) : [])];
  const replay = replayFromRecordings(o.kind, recordings, actual);
  notes.push(`the emulated ${o.kind} replays ${recordings.length} recording${recordings.length === 1 ? '' : 's'} (${replay.count} samples, ${(replay.count / actual).toFixed(1)} s at ${actual} Hz); recording columns are assumed in m/s2 (acc) and rad/s (gyro)`);
  return { config, replay, notes };
}
