/**
 * An error caused by the user's input (a bad file, a bad option, a model that does not fit).
 * The CLI prints its message without a stack trace; `where` names the file/line when known.
 */
export class TbnError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
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
    super(message);
    this.name = 'UsageError';
  }
}
