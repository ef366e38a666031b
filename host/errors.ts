/**
 * The message with control characters (and undecodable bytes) escaped as \xNN / \uNNNN, so binary junk
 * quoted from a file cannot reach the terminal raw (escape sequences, NULs). Newlines and tabs stay.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]/g, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16)}`;
  });
}

/**
 * An error caused by the user's input (a bad file, a bad option, a model that does not fit).
 * The CLI prints its message without a stack trace; `where` names the file/line when known.
 */
export class TbnError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(printable(message));
    this.name = 'TbnError';
    this.code = code;
  }
}

/** Error in an input file, always naming the file and (when known) the 1-based line. */
export class InputError extends TbnError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, problem: string) {
    super('E_INPUT', line !== undefined ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
    this.name = 'InputError';
    this.file = file;
    this.line = line;
  }
}

/** A bad command-line option or option value; the CLI prints it with a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(printable(message));
    this.name = 'UsageError';
  }
}
