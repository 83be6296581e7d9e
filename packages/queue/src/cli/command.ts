import type { CliIo } from './cli-io.js';
import type { CliOutput } from './cli-output.js';

/** One option of a command, for `parseArgs()` and the help text alike. */
export interface CliOption {
  /** The long name, without dashes: `concurrency`. */
  readonly name: string;
  /** Whether it takes a value (`string`) or is a flag (`boolean`). */
  readonly type: 'string' | 'boolean';
  /** A one-letter alias, without the dash. */
  readonly short?: string;
  /** How the help names its value: `<n>`. */
  readonly value?: string;
  /**
   * For a flag (`boolean`) that may also be given a value with `=`: `--json` or
   * `--json=stderr`. Its value is then `true` or the string after `=`.
   */
  readonly optionalValue?: boolean;
  /** What it does, for the help. */
  readonly description: string;
}

/** The parsed option values of one command line, by long name. */
export type CliOptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** What a command gets to run with. */
export interface CommandContext {
  /** The options given. */
  readonly options: CliOptionValues;
  /** The arguments that are not options (job ids). */
  readonly positionals: readonly string[];
  /** The streams, cwd and signals. */
  readonly io: CliIo;
  /** Where results and errors go. */
  readonly output: CliOutput;
}

/** A command of the `epilogue` CLI. */
export interface Command {
  /** What it is called on the command line: `queue:work`. */
  readonly name: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** How it is called: `epilogue queue:retry <id...|all> --app <path> [options]`. */
  readonly usage: string;
  /** What it does, for its help. */
  readonly description: string;
  /** Its options, `--help` aside. */
  readonly options: readonly CliOption[];
  /** Whether it takes arguments that are not options. */
  readonly positionals: boolean;
  /**
   * Runs it.
   *
   * @returns The exit code: 0 when everything asked for was done.
   */
  run(context: CommandContext): Promise<number>;
}

/** `--app`: every command loads the application. */
export const appOption: CliOption = {
  name: 'app',
  type: 'string',
  value: '<path>',
  description:
    'The module that exports your configured Application (or a function returning it); ' +
    'default: EPILOGUE_APP, else "epilogue.app" in the nearest package.json',
};

/** `--connection`. */
export const connectionOption: CliOption = {
  name: 'connection',
  type: 'string',
  value: '<name>',
  description: "The queue connection (default: the app's default connection)",
};

/** `--json`, `--json=<where>`: see `JsonDestination`. */
export const jsonOption: CliOption = {
  name: 'json',
  type: 'boolean',
  value: '[=<where>]',
  optionalValue: true,
  description:
    'Print one JSON object per line (NDJSON) instead of text; =stderr, =fd:<n> or =<file> send them ' +
    'there and keep the text on stdout',
};

/** `--help`, which every command takes. */
export const helpOption: CliOption = { name: 'help', type: 'boolean', short: 'h', description: 'Show this help' };
