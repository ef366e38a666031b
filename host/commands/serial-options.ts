/** The --port and --baud flags of the commands that talk to a running board (stream, record, monitor). */
import { type OptionSpec, type ParsedArgs, optInt, optString, UsageError } from '../cli/args.ts';
import { type Link, openSerialLink } from '../stream/link.ts';

export function serialOptions(portDescription: string): OptionSpec[] {
  return [
    { name: 'port', type: 'string', description: portDescription },
    { name: 'baud', type: 'string', range: { integer: true, min: 50, max: 4000000 }, description: 'baud rate', default: '115200' },
  ];
}

/** --port, which these commands cannot do without. */
export function requiredPort(args: ParsedArgs): string {
  const port = optString(args, 'port');
  if (!port) throw new UsageError('--port is required');
  return port;
}

/** Opens `port` at --baud. */
export function openPort(args: ParsedArgs, port: string): Promise<Link> {
  return openSerialLink(port, optInt(args, 'baud') as number);
}
