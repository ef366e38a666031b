/**
 * The board's own sensor in the simulator: the config entry the app reads from tbn.cfg plus the
 * emulated peripheral behind it (an MPU-6050 on I2C1, or the Bangle.js accelerometer), fed by a replay.
 */
import type { SensorConfig } from '../sensors/config.ts';
import { EmulatedBangle } from './bangle.ts';
import type { SimClock } from './clock.ts';
import { EmulatedI2cBus, EmulatedMpu6050 } from './mpu6050.ts';
import { ReplayCursor, type SensorReplay } from './sensor-replay.ts';

export interface SimSensorOptions {
  config: SensorConfig;
  replay: SensorReplay;
  clock: SimClock;
  /** Start over at the end of the replay (by-hand runs); default: the sensor goes quiet. */
  loop?: boolean;
  /** MPU-6050 only: what WHO_AM_I answers, or 'absent' for no device on the bus. */
  whoAmI?: number | 'absent';
  /** What the bus gives when no device answers: an exception (default) or 0xFF bytes. */
  absentBus?: 'throw' | 'ones';
  /** MPU-6050 only: the global the emulated bus appears as (default: the config's bus). */
  busGlobal?: string;
}

export interface SimSensor {
  config: SensorConfig;
  cursor: ReplayCursor;
  bus?: EmulatedI2cBus;
  mpu?: EmulatedMpu6050;
  bangle?: EmulatedBangle;
  /** The globals the emulated hardware adds (I2C1 or Bangle). */
  peripherals(guard: (fn: () => void) => () => void): Record<string, unknown>;
  stop(): void;
}

export function createSimSensor(o: SimSensorOptions): SimSensor {
  const cursor = new ReplayCursor(o.replay, o.loop ?? false);
  if (o.config.kind === 'mpu6050') {
    const bus = new EmulatedI2cBus(o.absentBus ?? 'throw');
    let mpu: EmulatedMpu6050 | undefined;
    if (o.whoAmI !== 'absent') {
      mpu = new EmulatedMpu6050({ now: () => o.clock.now(), replay: cursor, whoAmI: o.whoAmI });
      bus.attach(o.config.address ?? 0x68, mpu);
    }
    const busName = o.busGlobal ?? o.config.i2c?.bus ?? 'I2C1';
    return { config: o.config, cursor, bus, mpu, peripherals: () => ({ [busName]: bus.api() }), stop: () => {} };
  }
  let bangle: EmulatedBangle | undefined;
  return {
    config: o.config,
    cursor,
    get bangle() {
      return bangle;
    },
    peripherals(guard) {
      bangle = new EmulatedBangle(o.clock, cursor, guard);
      return { Bangle: bangle.api() };
    },
    stop: () => bangle?.stop(),
  };
}
