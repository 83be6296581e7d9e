import type { Constructor } from '@epilogue/core';
import { InvalidPayloadError } from '../errors.js';
import type { JobRegistry } from '../registry/job-registry.js';
import { FORBIDDEN_KEYS, MAX_DEPTH, TAG } from './encode-value.js';
import { isRecord } from './job-payload.js';

const SPECIAL_NUMBERS: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/**
 * Throws when any key anywhere in parsed JSON is `__proto__`, `constructor` or `prototype`.
 * It walks with its own stack, so hostile nesting cannot overflow the call stack.
 *
 * @throws {InvalidPayloadError} `forbidden-key`, naming where.
 */
export function assertNoForbiddenKeys(root: unknown): void {
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    for (const key of Object.keys(value)) {
      const at = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) throw InvalidPayloadError.forbiddenKey(key, at.slice(1) || key);
      stack.push([(value as Record<string, unknown>)[key], at]);
    }
  }
}

/**
 * Builds an instance of a registered class from its encoded fields, without calling its
 * constructor: `Object.create(Class.prototype)`, then each field defined as an own property.
 *
 * @param job - The class.
 * @param fields - Its encoded fields.
 * @param registry - Where nested job names are looked up.
 * @param path - Where the fields are in the payload, for error messages.
 * @returns The instance.
 * @throws {InvalidPayloadError} For an unknown nested job name or an unreadable value.
 */
export function buildInstance(job: Constructor, fields: unknown, registry: JobRegistry, path = 'data'): object {
  return instantiate(job, fields, registry, path, 0);
}

function instantiate(job: Constructor, fields: unknown, registry: JobRegistry, path: string, depth: number): object {
  const instance = Object.create(job.prototype as object) as object;
  for (const [key, value] of Object.entries(decodeObject(fields, registry, path, depth))) {
    Object.defineProperty(instance, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return instance;
}

function decodeObject(source: unknown, registry: JobRegistry, path: string, depth: number): Record<string, unknown> {
  if (!isRecord(source)) throw InvalidPayloadError.malformed(`\`${path}\` is not an object`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    out[key] = decodeValue(value, registry, `${path}.${key}`, depth + 1);
  }
  return out;
}

function decodeValue(value: unknown, registry: JobRegistry, path: string, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) {
    throw InvalidPayloadError.malformed(`\`${path}\` is nested more than ${MAX_DEPTH} levels deep`);
  }
  if (Array.isArray(value)) return value.map((item, i) => decodeValue(item, registry, `${path}[${i}]`, depth + 1));
  const record = value as Record<string, unknown>;
  if (!Object.hasOwn(record, TAG)) return decodeObject(record, registry, path, depth);
  return decodeTagged(record, registry, path, depth);
}

function decodeTagged(value: Record<string, unknown>, registry: JobRegistry, path: string, depth: number): unknown {
  const v = value.v;
  switch (value[TAG]) {
    case 'Date':
      if (v !== null && typeof v !== 'string') break;
      return new Date(v === null ? NaN : v);
    case 'Map':
      if (!Array.isArray(v) || !v.every((entry) => Array.isArray(entry) && entry.length === 2)) break;
      return new Map(
        (v as [unknown, unknown][]).map(([key, item], i) => [
          decodeValue(key, registry, `${path}.keys()[${i}]`, depth + 1),
          decodeValue(item, registry, `${path}.values()[${i}]`, depth + 1),
        ]),
      );
    case 'Set':
      if (!Array.isArray(v)) break;
      return new Set(v.map((item, i) => decodeValue(item, registry, `${path}.values()[${i}]`, depth + 1)));
    case 'Object':
      return decodeObject(v, registry, path, depth);
    case 'Job':
      return decodeJob(value, registry, path, depth);
    case 'Undefined':
      return undefined;
    case 'Number':
      if (typeof v !== 'string' || !Object.hasOwn(SPECIAL_NUMBERS, v)) break;
      return SPECIAL_NUMBERS[v];
    case 'BigInt':
      if (typeof v !== 'string' || !/^-?\d+$/.test(v)) break;
      return BigInt(v);
  }
  throw InvalidPayloadError.malformed(`\`${path}\` is a tagged value (${String(value[TAG])}) this worker cannot read`);
}

function decodeJob(value: Record<string, unknown>, registry: JobRegistry, path: string, depth: number): object {
  if (typeof value.name !== 'string') throw InvalidPayloadError.malformed(`\`${path}\` names no job class`);
  const job = registry.classFor(value.name);
  if (job === undefined) throw InvalidPayloadError.unknownJob(value.name, path);
  return instantiate(job, value.v, registry, path, depth);
}
