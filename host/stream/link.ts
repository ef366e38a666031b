/** Byte links to a device: a serial port (real board or the simulator's pty), or in-process. */
import { SerialPort } from 'serialport';
import { TbnError } from '../errors.ts';

export interface Link {
  write(bytes: Uint8Array): void;
  /** Registers the receiver of every byte chunk that arrives. */
  onData(handler: (bytes: Uint8Array) => void): void;
  close(): Promise<void>;
}

/** Waits for `start(done)` to call done, or `ms` at most; true when it finished in time. */
function bounded(ms: number, start: (done: () => void) => void): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    start(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Longest close() waits for unsent bytes to drain, and then for the port to close. */
export const CLOSE_DRAIN_MS = 1000;
export const CLOSE_MS = 1000;

/** Opens a serial port with the serialport package (8N1, no flow control). */
export async function openSerialLink(path: string, baudRate = 115200): Promise<Link> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => (err ? reject(new TbnError('E_PORT', `cannot open serial port ${path}: ${err.message}`)) : resolve()));
  });
  const handlers: Array<(b: Uint8Array) => void> = [];
  port.on('data', (chunk: Buffer) => {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (const h of handlers) h(bytes);
  });
  let portError: Error | undefined;
  port.on('error', (e: Error) => {
    portError = e;
  });
  return {
    write(bytes) {
      if (portError) throw new TbnError('E_PORT', `serial port ${path}: ${portError.message}`);
      port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
    onData(h) {
      handlers.push(h);
    },
    async close() {
      if (!port.isOpen) return;
      // A peer that stopped reading (or a pty full of garbage) never lets drain() call back: give up on the
      // unsent bytes after a bound, and close anyway.
      await bounded(CLOSE_DRAIN_MS, (done) => port.drain(() => done()));
      if (!port.isOpen) return;
      const closed = await bounded(CLOSE_MS, (done) => port.close(() => done()));
      if (!closed) port.destroy();
    },
  };
}
