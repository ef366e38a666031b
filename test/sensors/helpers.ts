/** Shared setup of the sensor tests: the trained HAR fixture, the sensor configs, and a virtual-time simulator with an emulated sensor. */
import path from 'node:path';
import { loadBoard } from '../../host/boards.ts';
import { HAR_CHANNELS } from '../../host/data/sp-sw-har.ts';
import { packModel } from '../../host/format/pack.ts';
import * as F from '../../host/protocol/frames.ts';
import { buildSensorConfig, type SensorConfig } from '../../host/sensors/config.ts';
import type { ModelChannel, SensorKind } from '../../host/sensors/spec.ts';
import { VirtualClock } from '../../host/sim/clock.ts';
import { createSimSensor, type SimSensor } from '../../host/sim/sensor-sim.ts';
import type { SensorReplay } from '../../host/sim/sensor-replay.ts';
import { readBundle, Simulator } from '../../host/sim/simulator.ts';
import type { TbnModuleLike } from '../../host/sim/tbn-module.ts';
import { loadCheckpoint } from '../../host/train/checkpoint.ts';
import { exportFloatModel } from '../../host/train/export.ts';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/models');

export function harFixture(file = 'har-tbn4.ckpt.json'): Uint8Array {
  const f = path.join(FIXTURES, file);
  return packModel(exportFloatModel(loadCheckpoint(f), f));
}

/** The HAR channels with the units sp-sw-har is in (m/s2, rad/s). */
export function harChannels(names: string[] = HAR_CHANNELS): ModelChannel[] {
  return names.map((name) => ({ name, unit: name.endsWith('_acc') ? 'm/s2' : 'rad/s' }));
}

export function sensorConfig(kind: SensorKind, names: string[], extra: Partial<Parameters<typeof buildSensorConfig>[0]> = {}): SensorConfig {
  return buildSensorConfig({ kind, channels: harChannels(names), rateHz: 50, ...extra });
}

export interface VirtualBoard {
  sim: Simulator;
  clock: VirtualClock;
  sensor: SimSensor;
  messages: F.DeviceMessage[];
  send(frame: Uint8Array): void;
  stop(): void;
}

/** The bundle on a virtual clock with an emulated sensor; device messages collect in `messages`. */
export function virtualBoard(opts: { model: Uint8Array; tbn: TbnModuleLike; config: SensorConfig; replay: SensorReplay; whoAmI?: number | 'absent'; absentBus?: 'throw' | 'ones'; busGlobal?: string; board?: string }): VirtualBoard {
  const clock = new VirtualClock();
  const sensor = createSimSensor({ config: opts.config, replay: opts.replay, clock, whoAmI: opts.whoAmI, absentBus: opts.absentBus, busGlobal: opts.busGlobal });
  const reader = new F.FrameReader();
  const messages: F.DeviceMessage[] = [];
  const sim = Simulator.start({
    board: loadBoard(opts.board ?? 'stm32f405'),
    bundle: readBundle(),
    model: opts.model,
    tbn: opts.tbn,
    clock,
    sensor,
    transmit: (b) => reader.push(b, (m) => messages.push(m)),
  });
  return {
    sim,
    clock,
    sensor,
    messages,
    send: (frame) => sim.receive(frame),
    stop: () => sim.stop(),
  };
}
