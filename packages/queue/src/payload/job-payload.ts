import { InvalidPayloadError } from '../errors.js';

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
  /**
   * The dispatch's OpenTelemetry context in W3C trace-context form (`traceparent`, `tracestate`),
   * written when an SDK is registered; absent otherwise, and in payloads of older versions.
   * Never checked: a worker that cannot read it starts the job's trace anew.
   */
  trace?: Record<string, string>;
}

/** A job a chain carries (one still to run, or a catch job), with where it is to be pushed. */
export interface ChainLink {
  /** The connection to push it to, or null for the default connection. */
  connection: string | null;
  /** The queue to push it to, or null for the connection's default queue. */
  queue: string | null;
  /** Seconds it waits on its queue once pushed. */
  delay: number;
  /** Its payload, written at dispatch; never with a chain of its own. */
  payload: JobPayload;
}

/** The optional `chain` field of a payload: what comes after its job. */
export interface ChainPayload {
  /** The jobs that run after this one, in order, each pushed once the one before it completed. */
  next: ChainLink[];
  /** The jobs dispatched, once, when a job of the chain fails for good. */
  catch: ChainLink[];
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
  const chain = value.chain === undefined ? undefined : chainProblem(value.chain);
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

const CHAIN_KEYS: ReadonlySet<string> = new Set(['next', 'catch']);
const LINK_KEYS: ReadonlySet<string> = new Set(['connection', 'queue', 'delay', 'payload']);

// What is wrong with a payload's `chain` field, if anything. Strict: unknown keys are refused, and
// each carried payload must pass `carriedProblem` and have no chain or signature of its own.
function chainProblem(chain: unknown): string | undefined {
  if (!isRecord(chain)) return '`chain` is not an object';
  const key = unknownKey(chain, CHAIN_KEYS);
  if (key !== undefined) return `\`chain\` has an unknown key "${key}"`;
  for (const list of ['next', 'catch'] as const) {
    const links = chain[list];
    if (!Array.isArray(links)) return `\`chain.${list}\` is not a list`;
    for (const [index, link] of links.entries()) {
      const problem = linkProblem(link, `chain.${list}[${index}]`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

function linkProblem(link: unknown, path: string): string | undefined {
  if (!isRecord(link)) return `\`${path}\` is not an object`;
  const key = unknownKey(link, LINK_KEYS);
  if (key !== undefined) return `\`${path}\` has an unknown key "${key}"`;
  if (link.connection !== null && !nonEmptyString(link.connection)) return `\`${path}.connection\` is not a name or null`;
  if (link.queue !== null && !nonEmptyString(link.queue)) return `\`${path}.queue\` is not a name or null`;
  if (!(typeof link.delay === 'number' && Number.isFinite(link.delay) && link.delay >= 0)) {
    return `\`${path}.delay\` is not seconds ≥ 0`;
  }
  const payload = link.payload;
  if (!isRecord(payload)) return `\`${path}.payload\` is not an object`;
  if (payload.chain !== undefined) return `\`${path}.payload\` has a chain of its own`;
  if (payload.sig !== undefined) return `\`${path}.payload\` has a signature of its own`;
  const problem = carriedProblem(payload);
  return problem === undefined ? undefined : `in \`${path}.payload\`, ${problem}`;
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

function unknownKey(value: Record<string, unknown>, known: ReadonlySet<string>): string | undefined {
  return Object.keys(value).find((key) => !known.has(key));
}
