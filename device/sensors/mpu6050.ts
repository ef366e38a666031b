/**
 * A small MPU-6050 driver over Espruino's I2C API (I2C1.writeTo / readFrom): reset, wake, sample
 * rate divider, DLPF, full-scale ranges and the FIFO (accel + gyro, 12 bytes per sample, read in
 * bursts so samples keep the sensor's clock). Register numbers from the MPU-6000/6050 Register Map
 * (RM-MPU-6000A-00 rev 4.2). ES5, no allocation besides what readFrom returns.
 */

export interface I2cBus {
  writeTo(address: number, data: number | number[]): void;
  readFrom(address: number, quantity: number): Uint8Array;
}

export var MPU_ID = 0x68; // WHO_AM_I of an MPU-6050 (either AD0 level)
export var MPU_SAMPLE_BYTES = 12; // ax ay az gx gy gz, int16 big-endian each
export var MPU_FIFO_BYTES = 1024;

var SMPLRT_DIV = 0x19;
var CONFIG = 0x1a;
var GYRO_CONFIG = 0x1b;
var ACCEL_CONFIG = 0x1c;
var FIFO_EN = 0x23;
var INT_ENABLE = 0x38;
var INT_STATUS = 0x3a;
var USER_CTRL = 0x6a;
var PWR_MGMT_1 = 0x6b;
var FIFO_COUNT_H = 0x72;
var FIFO_R_W = 0x74;
var WHO_AM_I = 0x75;

/** Internal sample clock for a DLPF setting: 1 kHz with the filter on (1..6), 8 kHz without. */
export function mpuBaseHz(dlpf: number): number {
  return dlpf >= 1 && dlpf <= 6 ? 1000 : 8000;
}

/** SMPLRT_DIV for a rate: sample rate = base / (1 + div). */
export function mpuDivider(rateHz: number, dlpf: number): number {
  var d = Math.round(mpuBaseHz(dlpf) / rateHz) - 1;
  return d < 0 ? 0 : d > 255 ? 255 : d;
}

/** Index of a full-scale range in the chip's table (AFS_SEL / FS_SEL), or -1. */
export function rangeIndex(value: number, table: number[]): number {
  for (var i = 0; i < table.length; i++) if (table[i] === value) return i;
  return -1;
}

export interface MpuDriver {
  /** WHO_AM_I, or -1 when the bus throws (nothing acknowledged) or returns nothing. */
  whoAmI(): number;
  reset(): void;
  configure(div: number, dlpf: number, accelSel: number, gyroSel: number): void;
  start(): void;
  stop(): void;
  read(out: Int16Array, max: number, checkOverflow: boolean): number;
}

/**
 * Makes the driver for the MPU-6050 at `addr` on `bus`. A factory object, like appFactory: the
 * entry drops it after start, so a board without this sensor keeps none of its code.
 */
export var mpuFactory: { make: ((bus: I2cBus, addr: number) => MpuDriver) | null } = { make: null };

mpuFactory.make = function (bus: I2cBus, addr: number): MpuDriver {
  /** WHO_AM_I, or -1 when the bus throws (nothing acknowledged) or returns nothing. */
  function whoAmI(): number {
    try {
      bus.writeTo(addr, WHO_AM_I);
      var b = bus.readFrom(addr, 1);
      return b && b.length === 1 ? b[0] : -1;
    } catch (e) {
      return -1;
    }
  }

  /** Device reset (registers to defaults, sleep); wait 100 ms before mpuConfigure. */
  function reset(): void {
    bus.writeTo(addr, [PWR_MGMT_1, 0x80]);
  }

  /** Clock from the X gyro, asleep; divider, DLPF, ranges, overflow interrupt flag, FIFO source = accel + gyro. */
  function configure(div: number, dlpf: number, accelSel: number, gyroSel: number): void {
    bus.writeTo(addr, [PWR_MGMT_1, 0x41]);
    bus.writeTo(addr, [SMPLRT_DIV, div]);
    bus.writeTo(addr, [CONFIG, dlpf & 7]);
    bus.writeTo(addr, [GYRO_CONFIG, gyroSel << 3]);
    bus.writeTo(addr, [ACCEL_CONFIG, accelSel << 3]);
    bus.writeTo(addr, [INT_ENABLE, 0x10]);
    bus.writeTo(addr, [FIFO_EN, 0x78]);
  }

  /** Wakes the sensor and starts an empty FIFO (clears a stale overflow flag). */
  function start(): void {
    bus.writeTo(addr, [PWR_MGMT_1, 0x01]);
    bus.writeTo(addr, [USER_CTRL, 0x04]);
    bus.writeTo(addr, [USER_CTRL, 0x40]);
    bus.writeTo(addr, INT_STATUS);
    bus.readFrom(addr, 1);
  }

  /** Stops the FIFO and puts the sensor to sleep. */
  function stop(): void {
    bus.writeTo(addr, [USER_CTRL, 0]);
    bus.writeTo(addr, [PWR_MGMT_1, 0x41]);
  }

  /**
   * Reads up to `max` whole samples from the FIFO into out (6 int16 per sample, FIFO order) and
   * returns how many; -1 when the FIFO overflowed (its contents are no longer aligned to samples):
   * then it has been reset and the caller counts the samples lost. `checkOverflow` reads INT_STATUS
   * first (once per poll is enough: the count check below catches an overflow in between).
   */
  function read(out: Int16Array, max: number, checkOverflow: boolean): number {
    var overflow = false;
    if (checkOverflow) {
      bus.writeTo(addr, INT_STATUS);
      overflow = (bus.readFrom(addr, 1)[0] & 0x10) !== 0;
    }
    bus.writeTo(addr, FIFO_COUNT_H);
    var c = bus.readFrom(addr, 2);
    var count = (c[0] << 8) | c[1];
    if (overflow || count > MPU_FIFO_BYTES - (MPU_FIFO_BYTES % MPU_SAMPLE_BYTES)) {
      bus.writeTo(addr, [USER_CTRL, 0x44]); // FIFO_RESET, FIFO stays enabled
      return -1;
    }
    var n = Math.floor(count / MPU_SAMPLE_BYTES);
    if (n > max) n = max;
    if (n === 0) return 0;
    bus.writeTo(addr, FIFO_R_W);
    var b = bus.readFrom(addr, n * MPU_SAMPLE_BYTES);
    // Big-endian pairs; the Int16Array store wraps 0x8000.. to negative.
    for (var i = 0, j = 0; i < n * 6; i++, j += 2) out[i] = (b[j] << 8) | b[j + 1];
    return n;
  }

  return { whoAmI: whoAmI, reset: reset, configure: configure, start: start, stop: stop, read: read };
};
