/**
 * SYNTHETIC wrist-motion data (not recorded from people): a generator of 6-channel accelerometer
 * (m/s², gravity included) + gyroscope (rad/s) streams following the Timed-Up-and-Go sequence of
 * sp-sw-har: seated, stand up, walk, turn, walk back, turn, sit down, seated. It exists so the demo
 * and tests run where ../shared is absent; it is no substitute for real data.
 */
import type { Dataset } from './dataset.ts';
import { TbnError } from '../errors.ts';
import { type Recording, type WindowOptions, windowGeometry, windowsToDataset } from './recording.ts';
import { DEFAULT_RATE, HAR_CHANNELS, HAR_CLASSES, checkRate } from './sp-sw-har.ts';
import { seededRandom } from './split.ts';
import { formatSubjects, parseSubjects } from './subjects.ts';

const [SEATED, STANDING_UP, WALKING, TURNING, SITTING_DOWN] = [0, 1, 2, 3, 4] as const;
const G = 9.81;

type Vec3 = [number, number, number];

interface Person {
  /** Gravity direction in the watch frame while seated (hand on the lap) and standing (arm hanging). */
  seated: Vec3;
  standing: Vec3;
  stepHz: number;
  swing: number;
  noise: number;
}

function unit(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

function gaussian(rnd: () => number): number {
  const u = Math.max(rnd(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
}

function drawPerson(rnd: () => number): Person {
  const j = (s: number): number => (rnd() * 2 - 1) * s;
  return {
    seated: unit([0.05 + j(0.15), -0.37 + j(0.15), 0.93 + j(0.05)]),
    standing: unit([-0.96 + j(0.03), -0.2 + j(0.15), 0.1 + j(0.15)]),
    stepHz: 1.7 + rnd() * 0.5,
    swing: 0.8 + rnd() * 0.5,
    noise: 0.04 + rnd() * 0.06,
  };
}

function smoothstep(u: number): number {
  return u * u * (3 - 2 * u);
}

interface Phase {
  label: number;
  seconds: number;
  /** +1 / -1: the direction of a turn. */
  turn: number;
}

function drawSequence(rnd: () => number, seconds: number): Phase[] {
  const between = (a: number, b: number): number => a + rnd() * (b - a);
  const phases: Phase[] = [];
  let total = 0;
  const push = (label: number, s: number, turn = 0): void => {
    phases.push({ label, seconds: s, turn });
    total += s;
  };
  push(SEATED, between(1, 2));
  while (total < seconds) {
    push(STANDING_UP, between(1.6, 2.4));
    push(WALKING, between(1.8, 3));
    push(TURNING, between(1.5, 2.4), rnd() < 0.5 ? 1 : -1);
    push(WALKING, between(1.8, 3));
    push(TURNING, between(1.5, 2.4), rnd() < 0.5 ? 1 : -1);
    push(SITTING_DOWN, between(1.8, 2.6));
    push(SEATED, between(1.5, 3));
  }
  return phases;
}

export interface SynthesizeMotionOptions {
  seconds: number;
  rate?: number;
  seed: number;
  /** Subject id recorded in the result (default "syn<seed>"). */
  subject?: string;
  /** Seed of the person-specific traits (posture, gait); default `seed`. */
  personSeed?: number;
}

/** One synthetic recording of `seconds` length: the TUG sequence repeated as needed. */
export function synthesizeMotion(opts: SynthesizeMotionOptions): Recording {
  const rate = checkRate(opts.rate ?? DEFAULT_RATE);
  if (!(opts.seconds > 0) || !Number.isFinite(opts.seconds)) throw new TbnError('E_OPTION', `seconds must be positive, got ${opts.seconds}`);
  const person = drawPerson(seededRandom((opts.personSeed ?? opts.seed) * 7919 + 17));
  const rnd = seededRandom(opts.seed * 104729 + 3);
  const phases = drawSequence(rnd, opts.seconds);
  const count = Math.max(1, Math.round(opts.seconds * rate));
  const C = 6;
  const samples = new Float32Array(count * C);
  const labels = new Int32Array(count);
  let p = 0;
  let phaseStart = 0;
  const stepPhase = rnd() * 2 * Math.PI;
  for (let k = 0; k < count; k++) {
    const t = k / rate;
    while (t >= phaseStart + (phases[p] as Phase).seconds && p + 1 < phases.length) {
      phaseStart += (phases[p] as Phase).seconds;
      p++;
    }
    const ph = phases[p] as Phase;
    const u = Math.min(1, (t - phaseStart) / ph.seconds);
    const bump = Math.sin(Math.PI * u);
    let g: Vec3 = person.standing;
    const acc: Vec3 = [0, 0, 0];
    const gyro: Vec3 = [0, 0, 0];
    const step = 2 * Math.PI * person.stepHz * t + stepPhase;
    const gait = (scale: number): void => {
      acc[0] += scale * 1.8 * Math.sin(step);
      acc[1] += scale * 1.2 * person.swing * Math.sin(step / 2);
      acc[2] += scale * 0.8 * Math.sin(step + 1);
      gyro[1] += scale * 1.4 * person.swing * Math.cos(step / 2);
      gyro[2] += scale * 0.4 * Math.sin(step);
    };
    switch (ph.label) {
      case SEATED:
        g = person.seated;
        break;
      case STANDING_UP:
      case SITTING_DOWN: {
        const up = ph.label === STANDING_UP;
        const s = smoothstep(up ? u : 1 - u);
        g = unit([
          person.seated[0] + (person.standing[0] - person.seated[0]) * s,
          person.seated[1] + (person.standing[1] - person.seated[1]) * s,
          person.seated[2] + (person.standing[2] - person.seated[2]) * s,
        ]);
        // Trunk lean forward then up (or down), and the forearm rotating from the lap to hanging.
        acc[1] += (up ? 2.5 : -2.0) * bump;
        acc[2] += (up ? 1.5 : -1.5) * Math.sin(2 * Math.PI * u);
        gyro[1] += (up ? 1.6 : -1.6) * bump * (2.6 / ph.seconds);
        gyro[0] += (up ? 0.4 : -0.4) * bump;
        break;
      }
      case WALKING:
        gait(1);
        break;
      case TURNING:
        gait(0.6);
        // Yaw of the whole body (about the hanging arm, watch x axis): 180 degrees over the phase.
        gyro[0] += ph.turn * (Math.PI / ph.seconds) * (Math.PI / 2) * bump;
        acc[2] += ph.turn * 1.2 * bump;
        break;
    }
    const o = k * C;
    samples[o] = G * g[0] + acc[0] + person.noise * 2 * gaussian(rnd);
    samples[o + 1] = G * g[1] + acc[1] + person.noise * 2 * gaussian(rnd);
    samples[o + 2] = G * g[2] + acc[2] + person.noise * 2 * gaussian(rnd);
    samples[o + 3] = gyro[0] + person.noise * gaussian(rnd);
    samples[o + 4] = gyro[1] + person.noise * gaussian(rnd);
    samples[o + 5] = gyro[2] + person.noise * gaussian(rnd);
    labels[k] = ph.label;
  }
  return {
    file: `synthetic:seed=${opts.seed}`,
    subject: opts.subject ?? `syn${opts.seed}`,
    rate,
    channels: [...HAR_CHANNELS],
    samples,
    labels,
    count,
    classes: [...HAR_CLASSES],
  };
}

/** Keeps some channels of a recording, in the given order. */
export function selectChannels(rec: Recording, channels: string[]): Recording {
  const idx = channels.map((c) => {
    const i = rec.channels.indexOf(c);
    if (i < 0) throw new TbnError('E_OPTION', `unknown channel "${c}"; ${rec.file} has: ${rec.channels.join(', ')}`);
    return i;
  });
  const C = rec.channels.length;
  const samples = new Float32Array(rec.count * idx.length);
  for (let k = 0; k < rec.count; k++) idx.forEach((i, j) => (samples[k * idx.length + j] = rec.samples[k * C + i] as number));
  return { ...rec, channels: [...channels], samples };
}

export interface SyntheticHarOptions extends WindowOptions {
  /** Subject ids; each gets its own posture/gait traits (default s01-s18). */
  subjects?: string[];
  recordingsPerSubject?: number;
  /** Length of each recording (default 16 s: about one TUG sequence). */
  seconds?: number;
  rate?: number;
  channels?: string[];
  /** Varies all subjects at once (default 0). */
  seed?: number;
}

function subjectNumber(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Windows of synthetic recordings, like loadSpSwHar: shape [1, windowLen, channels], groups = subjects. */
export function synthesizeHarDataset(opts: SyntheticHarOptions = {}): Dataset {
  const subjects = opts.subjects ?? parseSubjects('s01-s18');
  if (subjects.length === 0) throw new TbnError('E_OPTION', 'synthetic data: empty split, no subjects selected');
  const rate = checkRate(opts.rate ?? DEFAULT_RATE);
  const per = opts.recordingsPerSubject ?? 4;
  const seconds = opts.seconds ?? 16;
  const seed = opts.seed ?? 0;
  const geometry = windowGeometry(rate, opts);
  const recs: Recording[] = [];
  for (const s of subjects) {
    const personSeed = (subjectNumber(s) + seed * 1000003) >>> 0;
    for (let r = 0; r < per; r++) {
      let rec = synthesizeMotion({ seconds, rate, seed: (personSeed + (r + 1) * 65537) >>> 0, personSeed, subject: s });
      rec = { ...rec, file: `synthetic ${s} #${r + 1}` };
      if (opts.channels) rec = selectChannels(rec, opts.channels);
      recs.push(rec);
    }
  }
  return windowsToDataset(`synthetic HAR ${formatSubjects(subjects)}`, recs, geometry, HAR_CLASSES);
}
