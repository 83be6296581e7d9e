import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { EpilogueError } from '@epilogue/core';
import { CliUsageError } from './cli-errors.js';
import type { CliIo, CliStream } from './cli-io.js';

/**
 * Where `--json` sends its records: `stdout` (`--json` alone, or `--json=stdout`), `stderr`, an
 * open file descriptor (`--json=fd:3`), or a file, appended to (`--json=./worker.ndjson`).
 */
export type JsonDestination = 'stdout' | 'stderr' | { readonly fd: number } | { readonly path: string };

/**
 * Reads where `--json` sends its records from a command line, before it is parsed (errors must
 * take the right form even when the rest of the line is wrong).
 *
 * @returns The destination, or `undefined` without `--json`.
 * @throws {CliUsageError} For `--json=` with an empty value, or `fd:` without a whole number.
 */
export function jsonDestination(argv: readonly string[]): JsonDestination | undefined {
  let destination: JsonDestination | undefined;
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg === '--json') destination = 'stdout';
    else if (arg.startsWith('--json=')) destination = parseDestination(arg.slice('--json='.length));
  }
  return destination;
}

function parseDestination(value: string): JsonDestination {
  const expected = 'stdout, stderr, fd:<n> (an open file descriptor) or a file path';
  if (value.trim() === '') throw CliUsageError.invalidOption('--json', expected, value);
  if (value === 'stdout' || value === 'stderr') return value;
  if (value.startsWith('fd:')) {
    const fd = value.slice(3);
    if (!/^\d+$/.test(fd)) throw CliUsageError.invalidOption('--json', expected, value);
    return { fd: Number(fd) };
  }
  return { path: value };
}

/**
 * Writes what a command has to say, in one of two forms: lines of text for people, or with
 * `--json` one JSON object per line (NDJSON) for programs.
 *
 * - Without `--json`: text on stdout, errors as text on stderr.
 * - `--json` (or `--json=stdout`): records on stdout instead of text, errors as records on stderr.
 * - `--json=stderr`: text on stdout, records and errors as records on stderr.
 * - `--json=fd:<n>` or `--json=<path>`: text on stdout and errors as text on stderr, as without
 *   `--json`, and every record, errors included, on that descriptor or appended to that file.
 *   Writes there are synchronous, so no record is lost when the process exits at once.
 */
export class CliOutput {
  /** Whether records are written (any `--json`). */
  readonly json: boolean;

  readonly #io: CliIo;
  readonly #destination: JsonDestination | undefined;
  readonly #records: CliStream | undefined;
  readonly #text: boolean;
  #fd: number | undefined;

  /**
   * @param io - The streams, and the directory a path is resolved against.
   * @param json - Where records go: a destination, `true` for stdout, or `false`/absent for none.
   * @throws {CliUsageError} When the descriptor is not open or the file cannot be opened.
   */
  constructor(io: CliIo, json: boolean | JsonDestination | undefined) {
    this.#io = io;
    const destination = json === true ? 'stdout' : json === false ? undefined : json;
    this.#destination = destination;
    this.json = destination !== undefined;
    this.#text = destination !== 'stdout';
    if (destination === 'stdout') this.#records = io.stdout;
    else if (destination === 'stderr') this.#records = io.stderr;
    else if (destination !== undefined) this.#records = this.#open(destination);
  }

  /**
   * Writes one result.
   *
   * @param text - The line(s) for people.
   * @param record - The same result for programs.
   */
  print(text: string, record: object): void {
    this.note(text);
    this.data(record);
  }

  /** Writes text for people only, such as a table or "nothing to do"; not where the records go. */
  note(text: string): void {
    if (this.#text) this.#io.stdout.write(`${text}\n`);
  }

  /** Writes a record for programs only, such as a row of a table; nothing without `--json`. */
  data(record: object): void {
    this.#records?.write(`${JSON.stringify(record)}\n`);
  }

  /** Writes an error to stderr: its code and message, and the stack of an unexpected one. */
  error(error: unknown): void {
    const record = { event: 'error', ...errorRecord(error) };
    const destination = this.#destination;
    if (destination === 'stdout' || destination === 'stderr') {
      this.#io.stderr.write(`${JSON.stringify(record)}\n`);
      return;
    }
    this.#io.stderr.write(errorText(error));
    this.data(record);
  }

  /** Closes the file `--json=<path>` opened; a descriptor given with `fd:` is left open. */
  close(): void {
    if (this.#fd === undefined || typeof this.#destination !== 'object' || !('path' in this.#destination)) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(destination: { fd: number } | { path: string }): CliStream {
    const expected =
      'path' in destination ? 'a file path that can be opened for appending' : 'an open file descriptor';
    const given = 'path' in destination ? destination.path : `fd:${destination.fd}`;
    try {
      if ('path' in destination) {
        this.#fd = openSync(resolve(this.#io.cwd ?? process.cwd(), destination.path), 'a');
      } else {
        fstatSync(destination.fd);
        this.#fd = destination.fd;
      }
    } catch (error) {
      const reason = (error as { code?: unknown }).code;
      throw CliUsageError.invalidOption('--json', `${expected} (${String(reason ?? error)})`, given);
    }
    const fd = this.#fd;
    return { write: (text: string) => writeSync(fd, text) };
  }
}

/** The fields of an error that a JSON line carries. */
export function errorRecord(error: unknown): { name: string; code?: string; message: string } {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message };
}

function errorText(error: unknown): string {
  if (error instanceof EpilogueError) {
    const cause = error.cause instanceof Error ? `  caused by: ${error.cause.stack ?? error.cause.message}\n` : '';
    return `error [${error.code}]: ${error.message}\n${cause}`;
  }
  // Not one of ours: the stack is what whoever reads it will need.
  return `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
}

/** A time as people read it in a log, in local time: `2025-03-01 14:05:09`. */
export function formatTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
  return `${day} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** A duration as people read it: `12.3 ms`, `4.56 s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Lines of cells as columns two spaces apart, each as wide as its widest cell. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
