/**
 * `tbn/protocol`: the serial protocol between host and device (device/PROTOCOL.md) — frame encoding and parsing,
 * and a DeviceClient (HELLO/INFO, STATUS, RESET, flow-controlled streaming) for your own serial code.
 *
 * ```ts
 * import { DeviceClient, linkFromPort } from 'tbn/protocol';
 * const client = new DeviceClient(linkFromPort(myPort)); // any object with write(), on('data'), close()
 * const info = await client.hello();
 * const result = await client.stream(samples, info.inC, { mode: 'fast' });
 * ```
 * @module tbn/protocol
 */
import { TbnError } from '../errors.ts';
import type { Link } from '../stream/link.ts';

export {
  type AckMessage,
  dequantiseI16,
  type DeviceMessage,
  encode,
  type ErrorMessage,
  FrameReader,
  hello,
  type InfoMessage,
  maxSamplesPerFrame,
  P,
  parseDeviceFrame,
  type PredictionMessage,
  reset,
  type SampleFormat,
  samplesFrame,
  start,
  statusRequest,
  type StatusMessage,
  type UnknownMessage,
} from '../protocol/frames.ts';
export { DeviceClient, type StreamOptions, type StreamResult } from '../stream/client.ts';
export { type Link, openSerialLink } from '../stream/link.ts';

/** What linkFromPort needs of a port: a Node serialport SerialPort, a net.Socket, or any Duplex stream. */
export interface PortLike {
  write(chunk: Uint8Array): unknown;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  /** Ends the connection; called with a callback when it takes one. */
  close?(callback?: (err?: Error | null) => void): unknown;
  end?(callback?: () => void): unknown;
}

/**
 * Wraps a port you opened yourself as the Link a DeviceClient talks through. close() ends the port and
 * resolves within `closeTimeoutMs` even when the port never calls back.
 */
export function linkFromPort(port: PortLike, closeTimeoutMs = 2000): Link {
  return {
    write(bytes) {
      try {
        port.write(bytes);
      } catch (e) {
        throw new TbnError('E_PORT', `writing to the port failed: ${(e as Error).message}`);
      }
    },
    onData(handler) {
      port.on('data', (chunk) => handler(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    },
    close() {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, closeTimeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        if (port.close) port.close(() => done());
        else if (port.end) port.end(() => done());
        else done();
      });
    },
  };
}
