import { InvalidPayloadError } from '../errors.js';
import { chainProblem, type ChainPayload } from './chain-payload.js';

/** The payload version this package writes and reads. */
export const PAYLOAD_VERSION = 1;

/**
 * What travels through a queue for one job: plain JSON, readable by any process (and any
 * language) that wants to inspect a queue. `data` holds the job's own fields in the tagged
 * encoding described in `docs/queues.md`.
 */
export interface JobPayload {
  /** The payload format's version: 1. */
  v: typeof PAYLOAD_VERSION;
  /** A UUID, also the job's id on drivers that accept ids. */
  id: string;
  /** The stable name the job class is registered under. */
  job: string;
  /** A readable name for logs and the failed store (the job's `displayName()`, else its class name). */
  displayName: string;
  /** The job's own fields, encoded. */
  data: Record<string, unknown>;
  /**
   * Attempts already made when this payload was written: 0 at dispatch. Workers count attempts
   * from the driver's delivery, which knows about releases and crashed workers.
   */
  attempts: number;
  /** The job's `tries`: how many attempts it may take (0: no limit), or null for the worker's default (1). */
  maxTries: number | null;
  /** The job's `maxExceptions`: it fails once this many attempts threw, or null for no such limit. */
  maxExceptions: number | null;
  /** Seconds to wait before each retry, indexed by attempt (the last repeats), or null for none. */
  backoff: number[] | null;
  /** Seconds an attempt may run, or null for no limit. */
  timeout: number | null;
  /** Whether a timed-out attempt fails the job for good instead of being retried. */
  failOnTimeout: boolean;
  /** Milliseconds since the epoch after which the job is no longer retried (beats `maxTries`), or null. */
  retryUntil: number | null;
  /** When the job was dispatched, in milliseconds since the epoch. */
  createdAt: number;
  /** For a job of a chain: the jobs after it and the chain's catch jobs. Absent otherwise. */
  chain?: ChainPayload;
}

/**
 * Checks that a parsed value has the shape of a version 1 payload.
 *
 * @throws {InvalidPayloadError} When it does not (`malformed`), or declares another version.
 */
export function assertPayloadShape(value: unknown): asserts value is JobPayload {
  if (!isRecord(value)) throw InvalidPayloadError.malformed('it is not a JSON object');
  if (value.v !== PAYLOAD_VERSION) {
    if (value.v === undefined) throw InvalidPayloadError.malformed('it has no version (`v`)');
    throw InvalidPayloadError.unsupportedVersion(value.v);
  }
  const problem = firstProblem(value);
  if (problem !== undefined) throw InvalidPayloadError.malformed(problem);
  const chain = value.chain === undefined ? undefined : chainProblem(value.chain, carriedProblem);
  if (chain !== undefined) throw InvalidPayloadError.malformed(chain);
}

// The payloads a chain carries are written by the same dispatch, so they have the same version.
function carriedProblem(p: Record<string, unknown>): string | undefined {
  return p.v === PAYLOAD_VERSION ? firstProblem(p) : `\`v\` is not ${PAYLOAD_VERSION}`;
}

function firstProblem(p: Record<string, unknown>): string | undefined {
  if (!nonEmptyString(p.id)) return '`id` is not a non-empty string';
  if (!nonEmptyString(p.job)) return '`job` is not a non-empty string';
  if (typeof p.displayName !== 'string') return '`displayName` is not a string';
  if (!isRecord(p.data)) return '`data` is not an object';
  if (!isCount(p.attempts)) return '`attempts` is not a whole number';
  if (p.maxTries !== null && !isCount(p.maxTries)) return '`maxTries` is not a whole number or null';
  if (p.maxExceptions !== null && !(isCount(p.maxExceptions) && p.maxExceptions > 0)) {
    return '`maxExceptions` is not a positive whole number or null';
  }
  if (p.backoff !== null && !isBackoff(p.backoff)) return '`backoff` is not a list of seconds or null';
  if (p.timeout !== null && !(isFiniteNumber(p.timeout) && p.timeout > 0)) return '`timeout` is not positive or null';
  if (typeof p.failOnTimeout !== 'boolean') return '`failOnTimeout` is not a boolean';
  if (p.retryUntil !== null && !isFiniteNumber(p.retryUntil)) return '`retryUntil` is not a time or null';
  if (!isFiniteNumber(p.createdAt)) return '`createdAt` is not a time';
  return undefined;
}

/** Whether `value` is a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isBackoff(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((s) => isFiniteNumber(s) && s >= 0);
}
