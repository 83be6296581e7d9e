import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliUsageError } from './cli-errors.js';
import { helpOption, type CliOptionValues, type Command } from './command.js';

/** A command line, parsed for one command. */
export interface ParsedCommandLine {
  readonly options: CliOptionValues;
  readonly positionals: readonly string[];
}

/**
 * Parses the arguments after a command's name with `node:util`'s `parseArgs`, strictly: an
 * unknown option, a missing value or an argument the command does not take is a usage error.
 *
 * @throws {CliUsageError} For arguments the command does not take.
 */
export function parseCommandLine(command: Command, args: readonly string[]): ParsedCommandLine {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const option of [...command.options, helpOption]) {
    const { name, type, short } = option;
    options[name] = short === undefined ? { type } : { type, short };
  }
  // `--json=stderr`: parseArgs has no flag that may take a value, so those are read here.
  const given: Record<string, string> = {};
  const rest: string[] = [];
  for (const [i, arg] of args.entries()) {
    const flag = arg.startsWith('--') && arg.includes('=') ? flagWithValue(command, arg) : undefined;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (flag === undefined) rest.push(arg);
    else given[flag] = arg.slice(flag.length + 3);
  }
  try {
    const allowPositionals = command.positionals;
    const { values, positionals } = parseArgs({ args: rest, options, strict: true, allowPositionals });
    // No option is `multiple`, so no value is an array.
    return { options: { ...(values as CliOptionValues), ...given }, positionals };
  } catch (error) {
    if (!isParseArgsError(error)) throw error;
    // parseArgs' first sentence names the problem ("Unknown option '--foo'"); the rest is advice
    // about positionals that reads oddly here.
    throw CliUsageError.invalidArguments(command.name, error.message.split('. ')[0].replace(/\.$/, ''));
  }
}

/**
 * The value of a whole-number option (≥ 1, or ≥ 0 too with `allowZero`), if given.
 *
 * @throws {CliUsageError} When it is not such a whole number.
 */
export function wholeNumberOption(options: CliOptionValues, name: string, allowZero = false): number | undefined {
  const text = stringOption(options, name);
  return text === undefined ? undefined : wholeNumber(text, `--${name}`, allowZero);
}

/**
 * A whole number ≥ 1 (or ≥ 0 too, with `allowZero`) given as text.
 *
 * @param text - The text.
 * @param what - What it is, for the error: `--max`, `the threshold of "images"`.
 * @throws {CliUsageError} When it is not such a whole number.
 */
export function wholeNumber(text: string, what: string, allowZero = false): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || (value === 0 && !allowZero)) {
    throw CliUsageError.invalidOption(what, `a whole number ${allowZero ? '≥ 0' : '≥ 1'}`, text);
  }
  return value;
}

/**
 * The value of an option in seconds, if given: a number above 0 (or 0 too, with `allowZero`).
 *
 * @throws {CliUsageError} When it is not such a number.
 */
export function secondsOption(options: CliOptionValues, name: string, allowZero = false): number | undefined {
  return amountOption(options, name, 'seconds', allowZero);
}

/**
 * The value of an option that counts `unit` (`seconds`, `hours`, `megabytes`), if given: a
 * number above 0 (or 0 too, with `allowZero`).
 *
 * @throws {CliUsageError} When it is not such a number.
 */
export function amountOption(options: CliOptionValues, name: string, unit: string, allowZero = false): number | undefined {
  const text = stringOption(options, name);
  if (text === undefined) return undefined;
  const value = parseAmount(text);
  if (value === undefined || (value === 0 && !allowZero)) {
    throw CliUsageError.invalidOption(`--${name}`, `a number of ${unit} ${allowZero ? '≥ 0' : '> 0'}`, text);
  }
  return value;
}

/**
 * The value of an option that is seconds or a comma-separated list of them (`--backoff 5,30`), if given.
 *
 * @throws {CliUsageError} When an item is not a number of seconds ≥ 0.
 */
export function secondsListOption(options: CliOptionValues, name: string): number[] | undefined {
  const text = stringOption(options, name);
  if (text === undefined) return undefined;
  const values = text.split(',').map(parseAmount);
  if (values.some((value) => value === undefined)) {
    throw CliUsageError.invalidOption(`--${name}`, 'seconds ≥ 0, or a comma-separated list of them such as 5,30', text);
  }
  return values as number[];
}

// A finite number ≥ 0 written out, or undefined.
function parseAmount(text: string): number | undefined {
  const value = text.trim() === '' ? NaN : Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * The value of a comma-separated list option, if given: `--queue high,default`.
 *
 * @throws {CliUsageError} When an item is empty.
 */
export function listOption(options: CliOptionValues, name: string): string[] | undefined {
  const text = stringOption(options, name);
  if (text === undefined) return undefined;
  const items = text.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw CliUsageError.invalidOption(`--${name}`, 'a comma-separated list of names, such as high,default', text);
  }
  return items;
}

/** The value of a string option, if given. */
export function stringOption(options: CliOptionValues, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

// The name of the flag `--name=value` sets, when the command has such a flag with an optional value.
function flagWithValue(command: Command, arg: string): string | undefined {
  const name = arg.slice(2, arg.indexOf('='));
  return command.options.some((option) => option.name === name && option.optionalValue === true) ? name : undefined;
}

function isParseArgsError(error: unknown): error is { message: string } {
  // Duck-typed: parseArgs' errors may come from another realm (a test sandbox), where
  // `instanceof Error` is false.
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') && typeof message === 'string';
}
