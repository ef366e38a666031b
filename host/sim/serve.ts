/** The simulator behind a real pseudo-terminal: what `tbn sim` runs and the end-to-end test drives. */
import { openSerialLink } from '../stream/link.ts';
import { openPtyPair } from './pty.ts';
import { Simulator, type SimulatorOptions } from './simulator.ts';

export interface PtySimulator {
  sim: Simulator;
  /** Open this with `tbn stream --port` (or any serial tool). */
  hostPath: string;
  /** Bytes the device received and sent so far. */
  traffic(): { rxBytes: number; txBytes: number };
  close(): Promise<void>;
}

export async function startPtySimulator(opts: Omit<SimulatorOptions, 'transmit'> & { link?: string; baudRate?: number }): Promise<PtySimulator> {
  const pty = await openPtyPair({ link: opts.link });
  let port;
  try {
    port = await openSerialLink(pty.devicePath, opts.baudRate ?? 115200);
  } catch (e) {
    await pty.close();
    throw e;
  }
  let rxBytes = 0;
  let txBytes = 0;
  let sim: Simulator;
  try {
    sim = Simulator.start({
      ...opts,
      transmit: (bytes) => {
        txBytes += bytes.length;
        port.write(bytes);
      },
    });
  } catch (e) {
    await port.close();
    await pty.close();
    throw e;
  }
  port.onData((bytes) => {
    rxBytes += bytes.length;
    sim.receive(bytes);
  });
  return {
    sim,
    hostPath: pty.hostPath,
    traffic: () => ({ rxBytes, txBytes }),
    async close() {
      sim.stop();
      await port.close();
      await pty.close();
    },
  };
}
