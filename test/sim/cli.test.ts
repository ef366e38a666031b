import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../host/cli.ts';
import { loadBoard } from '../../host/boards.ts';
import { readModel } from '../../host/format/reader.ts';
import { startPtySimulator } from '../../host/sim/serve.ts';
import { readBundle } from '../../host/sim/simulator.ts';
import { loadWasmTbnModule } from '../../host/sim/tbn-module.ts';
import { harShapedModel } from './har-model.ts';
import { captureIO } from '../cli/cli-io.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tbn-cli-'));

describe('tbn sim / tbn stream commands', () => {
  it('tbn sim refuses a model too big for the board, naming the numbers', async () => {
    const big = harShapedModel(1, { hidden: 4096 });
    const file = path.join(dir, 'big.tbn');
    writeFileSync(file, big);
    const io = captureIO();
    const code = await main(['sim', '--board', 'stm32f405', '--model', file], io);
    expect(code).toBe(1);
    const msg = io.stderr.join('\n');
    expect(msg).toContain('does not fit the stm32f405');
    expect(msg).toContain(`model scratch needs ${readModel(big).scratchBytes.toLocaleString('en-US')} B of RAM`);
  });

  it('tbn stream --json scores a recording streamed through the simulator', async () => {
    const csv = path.join(dir, 'rec.csv');
    const rows = ['ax,ay,az,gx,gy,gz,label'];
    for (let i = 0; i < 400; i++) rows.push(`${Math.sin(i / 7).toFixed(4)},${Math.cos(i / 5).toFixed(4)},9.8,0.1,${(i % 13) / 10},-0.2,${i < 200 ? 'SEATED' : 'WALKING'}`);
    writeFileSync(csv, rows.join('\n'));
    const ps = await startPtySimulator({ board: loadBoard('stm32f405'), bundle: readBundle(), model: harShapedModel(3), tbn: await loadWasmTbnModule() });
    try {
      const io = captureIO();
      const code = await main(['stream', '--port', ps.hostPath, '--recording', csv, '--json'], io);
      expect(io.stderr.join('\n')).toBe('');
      expect(code).toBe(0);
      expect(io.stdout).toHaveLength(1);
      const r = JSON.parse(io.stdout[0] as string);
      expect(r.expected).toBe(Math.floor((400 - 128) / 64) + 1);
      expect(r.predictions).toBe(r.expected);
      expect(r.deviceCounters.samples).toBe(400);
      expect(r.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(r.predictions);
      // The recording's two classes come first, then the model's other labels.
      expect(r.classes).toEqual(['SEATED', 'WALKING', 'STANDING_UP', 'TURNING', 'SITTING_DOWN']);
    } finally {
      await ps.close();
    }
  });

  it('tbn sim serves the bundle on a pty that tbn stream can use', async () => {
    const file = path.join(dir, 'ok.tbn');
    writeFileSync(file, harShapedModel(8));
    const link = path.join(dir, 'port');
    const simIo = captureIO();
    const running = main(['sim', '--model', file, '--link', link, '--seconds', '6'], simIo);
    for (let i = 0; i < 100 && simIo.stdout.length === 0; i++) await new Promise((r) => setTimeout(r, 30));
    expect(simIo.stdout[0]).toBe(link);
    const csv = path.join(dir, 'rec2.csv');
    const rows = ['ax,ay,az,gx,gy,gz,label'];
    for (let i = 0; i < 300; i++) rows.push(`${i % 7},${i % 5},9.8,0.1,0.2,-0.2,WALKING`);
    writeFileSync(csv, rows.join('\n'));
    const io = captureIO();
    expect(await main(['stream', '--port', link, '--recording', csv, '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout[0] as string).predictions).toBe(3);
    expect(await running).toBe(0);
    expect(simIo.stderr.join('\n')).toMatch(/JS variables: \d+ of 5450/);
    expect(simIo.stderr.join('\n')).toMatch(/0 app errors/);
  });

  it('tbn stream needs a port and a recording', async () => {
    const io = captureIO();
    expect(await main(['stream', '--recording', 'x.csv'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('--port is required');
  });
});
