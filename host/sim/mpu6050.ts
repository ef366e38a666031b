/**
 * An MPU-6050 on an emulated I2C bus, at register level: the registers the device driver uses
 * (PWR_MGMT_1, SMPLRT_DIV, CONFIG, GYRO_CONFIG, ACCEL_CONFIG, FIFO_EN, INT_ENABLE, INT_STATUS,
 * USER_CTRL, FIFO_COUNT, FIFO_R_W, WHO_AM_I) and the 1024-byte FIFO with overflow (the oldest bytes
 * are overwritten and INT_STATUS.FIFO_OFLOW_INT is set, as the register map describes). Samples are
 * produced on the sensor's own clock (1 or 8 kHz / (1 + SMPLRT_DIV) after wake-up), lazily at each
 * bus access, from a replay quantised to int16 counts at the configured full-scale ranges.
 */
import { MPU6050_ACCEL_RANGES_G, MPU6050_GYRO_RANGES_DPS, toCount } from '../sensors/spec.ts';
import type { ReplayCursor } from './sensor-replay.ts';

export const FIFO_CAPACITY = 1024;
const SAMPLE_BYTES = 12;

const R = {
  SMPLRT_DIV: 0x19,
  CONFIG: 0x1a,
  GYRO_CONFIG: 0x1b,
  ACCEL_CONFIG: 0x1c,
  FIFO_EN: 0x23,
  INT_ENABLE: 0x38,
  INT_STATUS: 0x3a,
  USER_CTRL: 0x6a,
  PWR_MGMT_1: 0x6b,
  FIFO_COUNT_H: 0x72,
  FIFO_COUNT_L: 0x73,
  FIFO_R_W: 0x74,
  WHO_AM_I: 0x75,
} as const;

/** A device on the emulated bus: gets the bytes of each write, answers each read. */
export interface I2cDevice {
  write(bytes: Uint8Array): void;
  read(n: number): Uint8Array;
}

/**
 * Espruino's I2C object (setup, writeTo, readFrom) over emulated devices. An address nobody answers
 * throws, as Espruino's hardware I2C does on a missing acknowledge, or reads 0xFF (`absent: 'ones'`,
 * a bus with pull-ups and no acknowledge check).
 */
export class EmulatedI2cBus {
  readonly devices = new Map<number, I2cDevice>();
  setupCalls: unknown[] = [];
  transactions = 0;
  constructor(private readonly absent: 'throw' | 'ones' = 'throw') {}

  attach(address: number, device: I2cDevice): void {
    this.devices.set(address, device);
  }

  /** The object the app sees as I2C1. */
  api(): { setup(o: unknown): void; writeTo(addr: number, ...data: unknown[]): void; readFrom(addr: number, n: number): Uint8Array } {
    return {
      setup: (o: unknown) => {
        this.setupCalls.push(o);
      },
      writeTo: (addr: number, ...data: unknown[]) => {
        this.transactions++;
        const bytes: number[] = [];
        const add = (d: unknown): void => {
          if (typeof d === 'number') bytes.push(d & 0xff);
          else if (typeof d === 'string') for (const ch of d) bytes.push(ch.charCodeAt(0) & 0xff);
          else if (Array.isArray(d) || ArrayBuffer.isView(d)) for (const v of Array.from(d as ArrayLike<number>)) bytes.push(Number(v) & 0xff);
          else throw new TypeError('I2C.writeTo: unsupported data');
        };
        for (const d of data) add(d);
        const dev = this.devices.get(addr);
        if (!dev) {
          if (this.absent === 'throw') throw new Error(`I2C got timeout (Address not acknowledged: 0x${addr.toString(16)})`);
          return;
        }
        dev.write(Uint8Array.from(bytes));
      },
      readFrom: (addr: number, n: number) => {
        this.transactions++;
        const dev = this.devices.get(addr);
        if (!dev) {
          if (this.absent === 'throw') throw new Error(`I2C got timeout (Address not acknowledged: 0x${addr.toString(16)})`);
          return new Uint8Array(n).fill(0xff);
        }
        return dev.read(n);
      },
    };
  }
}

export interface Mpu6050Options {
  /** Milliseconds now (the simulator's clock). */
  now: () => number;
  replay: ReplayCursor;
  /** WHO_AM_I value (0x68 for a real MPU-6050; others to test the check). */
  whoAmI?: number;
}

export interface Mpu6050Stats {
  /** Samples produced while awake (each consumed one replay sample). */
  produced: number;
  /** Samples pushed into the FIFO. */
  fifoed: number;
  /** Samples read out whole by the host. */
  read: number;
  /** Samples overwritten in a full FIFO (counted per sample pushed while full). */
  overflowed: number;
  /** Samples dropped by FIFO resets. */
  resetDropped: number;
  overflows: number;
  /** Reads of FIFO_R_W while empty (a driver bug). */
  emptyReads: number;
}

export class EmulatedMpu6050 implements I2cDevice {
  readonly regs = new Uint8Array(128);
  private pointer = 0;
  private readonly fifo = new Uint8Array(FIFO_CAPACITY);
  private head = 0;
  private fill = 0;
  private awakeSince = 0;
  private produced = 0; // samples since wake-up
  readonly stats: Mpu6050Stats = { produced: 0, fifoed: 0, read: 0, overflowed: 0, resetDropped: 0, overflows: 0, emptyReads: 0 };
  /** The counts of every sample produced, in order (for checks): ax ay az gx gy gz. */
  readonly log: number[] = [];
  logSamples = false;

  constructor(private readonly opts: Mpu6050Options) {
    this.reset();
  }

  private reset(): void {
    this.regs.fill(0);
    this.regs[R.PWR_MGMT_1] = 0x40; // asleep after reset
    this.regs[R.WHO_AM_I] = this.opts.whoAmI ?? 0x68;
    this.stats.resetDropped += Math.floor(this.fill / SAMPLE_BYTES);
    this.fill = 0;
    this.head = 0;
  }

  private get asleep(): boolean {
    return ((this.regs[R.PWR_MGMT_1] as number) & 0x40) !== 0;
  }

  /** Sample period in ms from CONFIG.DLPF_CFG and SMPLRT_DIV. */
  periodMs(): number {
    const dlpf = (this.regs[R.CONFIG] as number) & 7;
    const base = dlpf >= 1 && dlpf <= 6 ? 1000 : 8000;
    return (1000 * (1 + (this.regs[R.SMPLRT_DIV] as number))) / base;
  }

  rateHz(): number {
    return 1000 / this.periodMs();
  }

  /** Produces every sample due by now. */
  private advance(): void {
    if (this.asleep) return;
    const period = this.periodMs();
    const due = Math.floor((this.opts.now() - this.awakeSince) / period + 1e-9);
    while (this.produced < due) {
      this.produced++;
      const v = this.opts.replay.next();
      if (v === undefined) {
        this.produced = due; // the replay has ended: the sensor goes quiet
        break;
      }
      this.stats.produced++;
      this.sample(v);
    }
  }

  private sample(v: Float64Array): void {
    const afs = ((this.regs[R.ACCEL_CONFIG] as number) >> 3) & 3;
    const fs = ((this.regs[R.GYRO_CONFIG] as number) >> 3) & 3;
    const ranges = { accelRangeG: MPU6050_ACCEL_RANGES_G[afs] as number, gyroRangeDps: MPU6050_GYRO_RANGES_DPS[fs] as number };
    const units = this.opts.replay.replay.units;
    const counts = new Array<number>(6);
    for (let c = 0; c < 6; c++) counts[c] = toCount(v[c] as number, 'mpu6050', units[c] as never, ranges);
    if (this.logSamples) this.log.push(...counts);
    const fifoOn = ((this.regs[R.USER_CTRL] as number) & 0x40) !== 0;
    const en = this.regs[R.FIFO_EN] as number;
    if (!fifoOn || en === 0) return;
    // FIFO order is register order: ACCEL_XOUT (FIFO_EN bit 3), then GYRO X/Y/Z (bits 6, 5, 4).
    const bytes: number[] = [];
    const put = (c: number) => bytes.push(((counts[c] as number) >> 8) & 0xff, (counts[c] as number) & 0xff);
    if (en & 0x08) [0, 1, 2].forEach(put);
    if (en & 0x40) put(3);
    if (en & 0x20) put(4);
    if (en & 0x10) put(5);
    this.stats.fifoed++;
    for (const b of bytes) {
      if (this.fill === FIFO_CAPACITY) {
        // Full: the oldest byte is overwritten.
        this.head = (this.head + 1) % FIFO_CAPACITY;
        this.fill--;
        if (!(this.regs[R.INT_STATUS]! & 0x10)) this.stats.overflows++;
        this.regs[R.INT_STATUS]! |= 0x10;
      }
      this.fifo[(this.head + this.fill) % FIFO_CAPACITY] = b;
      this.fill++;
    }
  }

  write(bytes: Uint8Array): void {
    this.advance();
    if (bytes.length === 0) return;
    this.pointer = bytes[0] as number;
    for (let i = 1; i < bytes.length; i++) {
      this.writeRegister(this.pointer, bytes[i] as number);
      if (this.pointer !== R.FIFO_R_W) this.pointer = (this.pointer + 1) & 0x7f;
    }
  }

  private writeRegister(reg: number, value: number): void {
    if (reg === R.WHO_AM_I || reg === R.INT_STATUS || reg === R.FIFO_COUNT_H || reg === R.FIFO_COUNT_L) return; // read-only
    if (reg === R.PWR_MGMT_1) {
      if (value & 0x80) {
        this.reset();
        return;
      }
      const wasAsleep = this.asleep;
      this.regs[reg] = value;
      if (wasAsleep && !this.asleep) {
        this.awakeSince = this.opts.now();
        this.produced = 0;
      }
      return;
    }
    if (reg === R.USER_CTRL) {
      if (value & 0x04) {
        this.stats.resetDropped += Math.floor(this.fill / SAMPLE_BYTES);
        this.fill = 0;
        this.head = 0;
      }
      this.regs[reg] = value & ~0x04; // FIFO_RESET clears itself
      return;
    }
    if (reg === R.SMPLRT_DIV || reg === R.CONFIG) {
      // A new rate starts counting from now, so samples already due keep the old period.
      this.regs[reg] = value;
      if (!this.asleep) {
        this.awakeSince = this.opts.now();
        this.produced = 0;
      }
      return;
    }
    this.regs[reg] = value;
  }

  read(n: number): Uint8Array {
    this.advance();
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const reg = this.pointer;
      if (reg === R.FIFO_R_W) {
        if (this.fill === 0) {
          this.stats.emptyReads++;
          out[i] = 0;
          continue;
        }
        out[i] = this.fifo[this.head] as number;
        this.head = (this.head + 1) % FIFO_CAPACITY;
        this.fill--;
        if (this.fill % SAMPLE_BYTES === 0) this.stats.read++;
        continue;
      }
      if (reg === R.FIFO_COUNT_H) out[i] = this.fill >> 8;
      else if (reg === R.FIFO_COUNT_L) out[i] = this.fill & 0xff;
      else if (reg === R.INT_STATUS) {
        out[i] = this.regs[reg] as number;
        this.regs[reg] = 0; // cleared by the read
      } else out[i] = this.regs[reg] as number;
      this.pointer = (this.pointer + 1) & 0x7f;
    }
    return out;
  }

  /** Bytes in the FIFO now. */
  fifoBytes(): number {
    this.advance();
    return this.fill;
  }
}
