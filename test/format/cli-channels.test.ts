/** `tbn pack` writes the input channel table from the checkpoint and `tbn inspect` shows it. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';
import { captureIO } from '../cli/cli-io.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
const tmp = mkdtempSync(path.join(tmpdir(), 'tbn-cli-chan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tbn pack / inspect with channel names, units and rate', () => {
  it('a checkpoint that recorded units and rate packs them; inspect prints and --json carries them', async () => {
    const ckpt = JSON.parse(readFileSync(path.join(here, '../fixtures/models/har-tbn4.ckpt.json'), 'utf8')) as { spec: Record<string, unknown> };
    ckpt.spec.units = ['m/s2', 'm/s2', 'm/s2', 'rad/s', 'rad/s', 'rad/s'];
    ckpt.spec.rateHz = 50;
    const src = path.join(tmp, 'units.ckpt.json');
    writeFileSync(src, JSON.stringify(ckpt));
    const out = path.join(tmp, 'm.tbn');
    let io = captureIO();
    expect(await main(['pack', src, '-o', out], io), io.stderr.join('\n')).toBe(0);
    expect(io.stdout.join('\n')).toContain('input channels: x_acc [m/s2], y_acc [m/s2], z_acc [m/s2], x_gyro [rad/s], y_gyro [rad/s], z_gyro [rad/s], 50 Hz');
    io = captureIO();
    expect(await main(['inspect', out], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('input channels: x_acc [m/s2], y_acc [m/s2], z_acc [m/s2], x_gyro [rad/s], y_gyro [rad/s], z_gyro [rad/s]; sample rate: 50 Hz');
    io = captureIO();
    expect(await main(['inspect', out, '--json'], io)).toBe(0);
    const j = JSON.parse(io.stdout.join('')) as { channels: { name: string; unit: string }[]; rateHz: number };
    expect(j.channels[3]).toEqual({ name: 'x_gyro', unit: 'rad/s' });
    expect(j.rateHz).toBe(50);
  });

  it('--no-input-info writes the file older kernels load: identical to one packed before the table existed', async () => {
    const out = path.join(tmp, 'plain.tbn');
    const io = captureIO();
    expect(await main(['pack', path.join(here, '../fixtures/models/har-tbn4.ckpt.json'), '-o', out, '--no-input-info'], io), io.stderr.join('\n')).toBe(0);
    expect(io.stdout.join('\n')).toContain('input channels: not stored');
    expect(readFileSync(out).equals(readFileSync(path.join(here, 'fixtures/har-tbn4-before-channels.tbn')))).toBe(true);
  });
});
