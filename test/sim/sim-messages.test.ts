/** issue 16 #18: `tbn sim` names the file of a corrupt model, and suggests HAR subjects only for a model that takes them. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { harShapedModel } from './har-model.ts';
import { runCli } from '../cli/cli-io.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
let dir: string;

const run = (...argv: string[]) => runCli(argv);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tbn-sim-msg-'));
  const r = await run('pack', path.join(here, '../fixtures/models/har-tbn4.ckpt.json'), '-o', path.join(dir, 'har.tbn'));
  if (r.code !== 0) throw new Error(r.err);
  // Same shape, other classes and 3 channels: not something the sp-sw-har subjects can be streamed to.
  writeFileSync(path.join(dir, 'other.tbn'), harShapedModel(2, { channels: 3, classes: ['idle', 'shake'] }));
});

describe('tbn sim messages', () => {
  it('a corrupted model: the CRC error names the file', async () => {
    const bad = path.join(dir, 'bad.tbn');
    const bytes = readFileSync(path.join(dir, 'har.tbn'));
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(bad, bytes);
    const r = await run('sim', '--model', bad, '--seconds', '1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tbn sim: .*bad\.tbn: CRC32 mismatch/);
  });

  it('suggests --har-subjects for a HAR model and --recording for any other', async () => {
    const har = await run('sim', '--model', path.join(dir, 'har.tbn'), '--seconds', '1');
    expect(har.code, har.err).toBe(0);
    expect(har.err).toMatch(/serial port ready: tbn stream --port \S+ --har-subjects s15-s18/);
    const other = await run('sim', '--model', path.join(dir, 'other.tbn'), '--seconds', '1');
    expect(other.code, other.err).toBe(0);
    expect(other.err).not.toMatch(/--har-subjects/);
    expect(other.err).toMatch(/serial port ready: tbn stream --port \S+ --recording FILE\.csv \(3 channel columns and a label column\)/);
  }, 30_000);
});
