import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';

const MAX_LINE = 200;
const INSPECT = { depth: 3, breakLength: Infinity, compact: true, maxArrayLength: 10, maxStringLength: 80 } as const;

/**
 * One line that shows a job or event with its fields, for failure messages:
 * `SendWelcomeEmail { user: { id: 1, email: 'ada@example.com' } }`.
 */
export function describeValue(value: unknown): string {
  return clip(inspect(value, INSPECT));
}

/** A class's name for messages. */
export function nameOf(type: unknown): string {
  return typeof type === 'function' && type.name !== '' ? type.name : '(anonymous class)';
}

/** `once`, `twice`, `3 times`. */
export function times(count: number): string {
  if (count === 1) return 'once';
  if (count === 2) return 'twice';
  return `${count} times`;
}

/** A predicate's source, on one line: what the failure message shows of it. */
export function describePredicate(predicate: (...args: never[]) => unknown): string {
  return clip(Function.prototype.toString.call(predicate).replace(/\s+/g, ' '));
}

/** Where an assertion was called: the file, line and column, and that line of source. */
export interface CallSite {
  /** `path/to/file.test.ts:12:5`, relative to the working directory. */
  readonly location: string;
  /** The line of source there, trimmed, when the file can be read. */
  readonly source?: string;
}

/**
 * Where the caller of `stackStartFn` is, or undefined when the stack does not say. The stack is
 * source-mapped when the runner maps it (Jest does), so the line is the test's own.
 */
export function callSite(stackStartFn: (...args: never[]) => unknown): CallSite | undefined {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, stackStartFn);
  const frame = holder.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  const where = (frame?.match(/\(([^()]+)\)\s*$/)?.[1] ?? frame?.trim().slice(3))?.match(/^(.*):(\d+):(\d+)$/);
  if (where == null) return undefined;
  const [, file, line, column] = where;
  const path = file.startsWith('file://') ? fileURLToPath(file) : file;
  if (!isAbsolute(path)) return { location: `${path}:${line}:${column}` };
  return { location: `${relative(process.cwd(), path)}:${line}:${column}`, source: sourceLine(path, Number(line)) };
}

function sourceLine(path: string, line: number): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').split('\n')[line - 1]?.trim();
    return text === undefined || text === '' ? undefined : clip(text);
  } catch {
    return undefined;
  }
}

function clip(text: string): string {
  return text.length > MAX_LINE ? `${text.slice(0, MAX_LINE - 1)}…` : text;
}
