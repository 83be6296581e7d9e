import { EpilogueError } from '@epilogue/core';
import type { CliIo } from './cli-io.js';

/**
 * Writes what a command has to say, in one of two forms: lines of text for people, or with
 * `--json` one JSON object per line (NDJSON) for programs. Results go to stdout, errors to stderr.
 */
export class CliOutput {
  readonly #io: CliIo;

  /**
   * @param io - The streams.
   * @param json - Whether to write JSON lines instead of text.
   */
  constructor(
    io: CliIo,
    readonly json: boolean,
  ) {
    this.#io = io;
  }

  /**
   * Writes one result.
   *
   * @param text - The line(s) for people.
   * @param record - The same result for programs.
   */
  print(text: string, record: object): void {
    this.#io.stdout.write(this.json ? `${JSON.stringify(record)}\n` : `${text}\n`);
  }

  /** Writes text for people only, such as a table or "nothing to do"; nothing with `--json`. */
  note(text: string): void {
    if (!this.json) this.#io.stdout.write(`${text}\n`);
  }

  /** Writes a record for programs only, such as a row of a table; nothing without `--json`. */
  data(record: object): void {
    if (this.json) this.#io.stdout.write(`${JSON.stringify(record)}\n`);
  }

  /** Writes an error to stderr: its code and message, and the stack of an unexpected one. */
  error(error: unknown): void {
    const record = { event: 'error', ...errorRecord(error) };
    this.#io.stderr.write(this.json ? `${JSON.stringify(record)}\n` : errorText(error));
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
