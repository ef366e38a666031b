/** Byte links to a device: a serial port (real board or the simulator's pty), or in-process. */
import { SerialPort } from 'serialport';
import { TbnError } from '../errors.ts';

export interface Link {
  write(bytes: Uint8Array): void;
  /** Registers the receiver of every byte chunk that arrives. */
  onData(handler: (bytes: Uint8Array) => void): void;
  close(): Promise<void>;
}

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
    close() {
      return new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.drain(() => port.close(() => resolve()));
      });
    },
  };
}
