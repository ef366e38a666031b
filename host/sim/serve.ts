/** The simulator behind a real pseudo-terminal: what `tbn sim` runs and the end-to-end test drives. */
import { openSerialLink } from '../stream/link.ts';
import { createPacer, type Pacer } from './pacer.ts';
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

export interface PtySimulatorOptions extends Omit<SimulatorOptions, 'transmit'> {
  link?: string;
  baudRate?: number;
  /** Limit both directions to baudRate/10 bytes per second, like a UART (8N1); default: as fast as the pty goes. */
  throttle?: boolean;
}

export async function startPtySimulator(opts: PtySimulatorOptions): Promise<PtySimulator> {
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
  const bytesPerSecond = (opts.baudRate ?? 115200) / 10;
  let txPacer: Pacer | undefined;
  let rxPacer: Pacer | undefined;
  try {
    if (opts.throttle) txPacer = createPacer(bytesPerSecond, (b) => port.write(b));
    sim = Simulator.start({
      ...opts,
      transmit: (bytes) => {
        txBytes += bytes.length;
        if (txPacer) txPacer.push(bytes);
        else port.write(bytes);
      },
    });
  } catch (e) {
    await port.close();
    await pty.close();
    throw e;
  }
  if (opts.throttle) rxPacer = createPacer(bytesPerSecond, (b) => sim.receive(b));
  port.onData((bytes) => {
    rxBytes += bytes.length;
    if (rxPacer) rxPacer.push(bytes);
    else sim.receive(bytes);
  });
  return {
    sim,
    hostPath: pty.hostPath,
    traffic: () => ({ rxBytes, txBytes }),
    async close() {
      txPacer?.stop();
      rxPacer?.stop();
      sim.stop();
      await port.close();
      await pty.close();
    },
  };
}
