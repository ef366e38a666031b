/** The library entry points (host/index.ts, host/api/*.ts) from the source: what the README shows works. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import * as format from '../../host/api/format.ts';
import * as protocol from '../../host/api/protocol.ts';
import * as reference from '../../host/api/reference.ts';
import * as sim from '../../host/api/sim.ts';
import * as tbn from '../../host/index.ts';

describe('library entry points', () => {
  it('tbn: load data, train, pack, read and run the reference, with tbn train defaults', () => {
    const splits = tbn.loadSplits({ data: 'synthetic', limit: 120 }, 1);
    const [r] = tbn.train(splits, { variants: ['tbn'], epochs: 1 });
    if (!r) throw new Error('no result');
    expect(r.checkpoint.spec).toBeDefined();
    const bytes = tbn.pack(r.checkpoint);
    expect(tbn.pack(tbn.exportFloatModel(r.checkpoint))).toEqual(bytes);
    const model = format.readModel(bytes);
    const n = tbn.exampleSize(splits.test);
    const input = splits.test.x.subarray(0, n);
    expect(tbn.runReference(model, input)).toEqual(reference.runNaive(model, input));
    expect(tbn.version()).toMatch(/^\d+\.\d+\.\d+/);
  }, 60_000);

  it('tbn/sim and tbn/format find their assets from the package, not the cwd', async () => {
    const cwd = process.cwd();
    process.chdir('/');
    try {
      expect(sim.readBundle().length).toBeGreaterThan(1000);
      expect(sim.loadBoard('stm32f405').name).toBe('stm32f405');
      const module = await sim.loadWasmTbnModule();
      expect(typeof module.open).toBe('function');
      expect(format.TBN.TBN_MAGIC).toBe(0x314e4254);
    } finally {
      process.chdir(cwd);
    }
  });

  it('tbn/protocol: linkFromPort carries bytes both ways and closes within its bound when the port never calls back', async () => {
    const written: Uint8Array[] = [];
    const port = Object.assign(new EventEmitter(), {
      write: (b: Uint8Array) => void written.push(b),
      close: (_cb?: () => void) => {}, // never calls back
    });
    const link = protocol.linkFromPort(port, 50);
    const got: Uint8Array[] = [];
    link.onData((b) => got.push(b));
    port.emit('data', Buffer.from([1, 2, 3]));
    expect(got.map((b) => [...b])).toEqual([[1, 2, 3]]);
    const client = new protocol.DeviceClient(link);
    client.write(protocol.hello());
    const frames: protocol.DeviceMessage[] = [];
    new protocol.FrameReader().push(written[0] as Uint8Array, (m) => frames.push(m));
    expect(frames).toHaveLength(1);
    const t0 = Date.now();
    await link.close();
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
