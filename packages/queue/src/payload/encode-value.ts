import type { Constructor } from '@epilogue/core';
import { JobNotSerializableError } from '../errors.js';
import type { JobRegistry } from '../registry/job-registry.js';

/** The key that marks a tagged value (`{ "$t": "Date", "v": "..." }`) in encoded job data. */
export const TAG = '$t';

/** Keys a payload refuses anywhere, because assigning them could change prototypes. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** How deep job data may nest; deeper data is refused both ways. */
export const MAX_DEPTH = 100;

/** What the encoder needs to know besides the value. */
interface EncodeContext {
  /** The queued job's class name, for error messages. */
  readonly job: string;
  readonly registry: JobRegistry;
  /** Objects being encoded on the current path, to their paths: data that refers back is circular. */
  readonly ancestors: Map<object, string>;
}

/**
 * Encodes the own enumerable fields of a job (or of any registered class instance or plain
 * object) into JSON-safe data. Values with no JSON form are tagged: Dates, Maps, Sets, registered
 * jobs, `undefined` in arrays, non-finite numbers and bigints.
 *
 * @param source - The object whose fields to encode.
 * @param job - The queued job's class name, for error messages.
 * @param registry - Decides which class instances may be nested.
 * @returns The encoded fields.
 * @throws {JobNotSerializableError} Naming the first field that cannot be encoded.
 */
export function encodeFields(source: object, job: string, registry: JobRegistry): Record<string, unknown> {
  const context: EncodeContext = { job, registry, ancestors: new Map([[source, '(the job)']]) };
  return encodeObject(source, '', context, 0);
}

function encodeObject(source: object, path: string, context: EncodeContext, depth: number): Record<string, unknown> {
  const symbols = Object.getOwnPropertySymbols(source).filter((key) =>
    Object.prototype.propertyIsEnumerable.call(source, key),
  );
  if (symbols.length > 0) fail(context, join(path, `[${String(symbols[0])}]`), 'has a symbol as key');
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const at = join(path, key);
    if (FORBIDDEN_KEYS.has(key)) fail(context, at, `is named "${key}", a key payloads refuse`);
    const value = (source as Record<string, unknown>)[key];
    if (value === undefined) continue;
    out[key] = encodeValue(value, at, context, depth + 1);
  }
  return out;
}

function encodeValue(value: unknown, path: string, context: EncodeContext, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : { [TAG]: 'Number', v: String(value) };
    case 'bigint':
      return { [TAG]: 'BigInt', v: value.toString() };
    case 'undefined':
      return { [TAG]: 'Undefined' };
    case 'function':
      return fail(context, path, `is a function (${value.name || 'anonymous'}); functions cannot be queued`);
    case 'symbol':
      return fail(context, path, 'is a symbol; symbols cannot be queued');
  }
  if (value === null) return null;
  if (depth > MAX_DEPTH) fail(context, path, `is nested more than ${MAX_DEPTH} levels deep`);
  const seen = context.ancestors.get(value as object);
  if (seen !== undefined) fail(context, path, `refers back to \`${seen}\` (circular data)`);
  context.ancestors.set(value as object, path);
  try {
    return encodeObjectValue(value as object, path, context, depth);
  } finally {
    context.ancestors.delete(value as object);
  }
}

function encodeObjectValue(value: object, path: string, context: EncodeContext, depth: number): unknown {
  if (Array.isArray(value)) {
    return Array.from(value, (item, index) => encodeValue(item, `${path}[${index}]`, context, depth + 1));
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) {
    const fields = encodeObject(value, path, context, depth);
    return Object.hasOwn(fields, TAG) ? { [TAG]: 'Object', v: fields } : fields;
  }
  if (proto === Date.prototype) {
    const time = (value as Date).getTime();
    return { [TAG]: 'Date', v: Number.isNaN(time) ? null : (value as Date).toISOString() };
  }
  if (proto === Map.prototype) {
    return { [TAG]: 'Map', v: encodeEntries(value as Map<unknown, unknown>, path, context, depth) };
  }
  if (proto === Set.prototype) {
    const items = Array.from(value as Set<unknown>);
    return { [TAG]: 'Set', v: items.map((item, i) => encodeValue(item, `${path}.values()[${i}]`, context, depth + 1)) };
  }
  const job = (proto as { constructor?: unknown }).constructor as Constructor | undefined;
  if (typeof job === 'function' && job.prototype === proto && context.registry.has(job)) {
    return { [TAG]: 'Job', name: context.registry.nameOf(job), v: encodeObject(value, path, context, depth) };
  }
  const kind =
    typeof job === 'function' && job.name ? `an instance of ${job.name}` : 'an object with a custom prototype';
  return fail(context, path, `is ${kind}, which is not a registered job class or plain data`);
}

function encodeEntries(map: Map<unknown, unknown>, path: string, context: EncodeContext, depth: number): unknown[] {
  let index = 0;
  const entries: unknown[] = [];
  for (const [key, item] of map) {
    const keyPath = `${path}.keys()[${index++}]`;
    const itemPath = `${path}.get(${typeof key === 'string' ? JSON.stringify(key) : keyPath})`;
    entries.push([encodeValue(key, keyPath, context, depth + 1), encodeValue(item, itemPath, context, depth + 1)]);
  }
  return entries;
}

function join(path: string, key: string): string {
  if (key.startsWith('[')) return `${path}${key}`;
  const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
  if (name !== key) return `${path}[${name}]`;
  return path === '' ? key : `${path}.${key}`;
}

function fail(context: EncodeContext, path: string, reason: string): never {
  throw JobNotSerializableError.at(context.job, path, reason);
}
