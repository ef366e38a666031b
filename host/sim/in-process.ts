/** The simulator wired to a Link without a serial port: for tests and benchmarks that need speed over realism. */
import type { Link } from '../stream/link.ts';
import { Simulator, type SimulatorOptions } from './simulator.ts';

export interface InProcessSim {
  sim: Simulator;
  link: Link;
}

export function startInProcess(opts: Omit<SimulatorOptions, 'transmit'>): InProcessSim {
  const hostHandlers: Array<(b: Uint8Array) => void> = [];
  let closed = false;
  // Device output is delivered asynchronously, as a serial line would.
  const sim = Simulator.start({
    ...opts,
    transmit: (bytes) => {
      const copy = bytes.slice();
      setImmediate(() => {
        if (!closed) for (const h of hostHandlers) h(copy);
      });
    },
  });
  const link: Link = {
    write(bytes) {
      const copy = bytes.slice();
      setImmediate(() => {
        if (!closed) sim.receive(copy);
      });
    },
    onData(h) {
      hostHandlers.push(h);
    },
    async close() {
      closed = true;
      sim.stop();
    },
  };
  return { sim, link };
}
