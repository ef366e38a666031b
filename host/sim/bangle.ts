/**
 * The Bangle.js 2 accelerometer as the app sees it through Espruino's Bangle object:
 * Bangle.on('accel', fn) fires every poll interval (Bangle.setPollInterval, 10..4000 ms, 80 ms by
 * default) with {x, y, z, mag, diff} in g, from a replay quantised to int16 counts of 1/8192 g
 * (the ±4 g range). Bangle.accelWr writes KX023 registers (only the output data rate is kept).
 */
import { BANGLE_LSB_PER_G, toCount } from '../sensors/spec.ts';
import type { SimClock } from './clock.ts';
import type { ReplayCursor } from './sensor-replay.ts';

type AccelHandler = (a: { x: number; y: number; z: number; mag: number; diff: number }) => void;

export class EmulatedBangle {
  pollMs = 80;
  /** KX023 ODCNTL output data rate code (12.5 Hz * 2^code); 0 after power-up. */
  odrCode = 0;
  readonly stats = { produced: 0 };
  readonly log: number[] = [];
  logSamples = false;
  private handlers: AccelHandler[] = [];
  private timer: unknown;
  private last = [0, 0, 0];

  constructor(
    private readonly clock: SimClock,
    private readonly replay: ReplayCursor,
    /** Wraps callbacks into the app (the shim's error guard). */
    private readonly guard: (fn: () => void) => () => void = (fn) => fn,
  ) {}

  private restart(): void {
    if (this.timer !== undefined) this.clock.clear(this.timer);
    this.timer = undefined;
    if (this.handlers.length > 0) this.timer = this.clock.setInterval(this.guard(() => this.tick()), this.pollMs);
  }

  private tick(): void {
    const v = this.replay.next();
    if (v === undefined) return;
    this.stats.produced++;
    const c = [0, 1, 2].map((i) => toCount(v[i] as number, 'bangle', this.replay.replay.units[i] as never));
    if (this.logSamples) this.log.push(...c);
    const [x, y, z] = c.map((n) => n / BANGLE_LSB_PER_G) as [number, number, number];
    const diff = Math.hypot(x - (this.last[0] as number), y - (this.last[1] as number), z - (this.last[2] as number));
    this.last = [x, y, z];
    const a = { x, y, z, mag: Math.hypot(x, y, z), diff };
    for (const h of [...this.handlers]) h(a);
  }

  /** The object the app sees as Bangle. */
  api(): Record<string, unknown> {
    return {
      on: (event: string, fn: AccelHandler) => {
        if (event !== 'accel') return;
        this.handlers.push(fn);
        if (this.handlers.length === 1) this.restart();
      },
      removeListener: (event: string, fn: AccelHandler) => {
        if (event !== 'accel') return;
        this.handlers = this.handlers.filter((h) => h !== fn);
        if (this.handlers.length === 0) this.restart();
      },
      setPollInterval: (ms: number) => {
        if (!Number.isFinite(ms) || ms < 10 || ms > 4000) throw new Error('Invalid interval');
        this.pollMs = Math.floor(ms);
        this.restart();
      },
      accelWr: (reg: number, value: number) => {
        if (reg === 0x1b) this.odrCode = value & 0x0f;
      },
      setOptions: () => {},
    };
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clear(this.timer);
    this.timer = undefined;
  }
}
