import { randomUUID } from 'node:crypto';
import type { Constructor } from '@epilogue/core';
import { systemClock, type Clock } from '../clock.js';
import { InvalidPayloadError, InvalidQueueConfigError, JobNotRegisteredError } from '../errors.js';
import type { JobRegistry } from '../registry/job-registry.js';
import { assertChainJobsRegistered } from './chain-payload.js';
import { assertNoForbiddenKeys, buildInstance } from './decode-value.js';
import { encodeFields } from './encode-value.js';
import { readJobOptions } from './job-options.js';
import { assertPayloadShape, PAYLOAD_VERSION, type ChainPayload, type JobPayload } from './job-payload.js';
import { PayloadSigner } from './payload-signer.js';

/** The default limit on a payload's size: 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Options of a `PayloadCodec` (and of `configureQueues()`, which passes them on). */
export interface PayloadCodecOptions {
  /**
   * A secret of at least 32 bytes: payloads are signed with HMAC-SHA256 and a worker refuses any
   * payload whose signature does not match. Every dispatching and working process needs the same key.
   */
  signingKey?: string | Buffer;
  /** The largest payload, in bytes, that is written or read. Default: 1 MiB. */
  maxPayloadBytes?: number;
  /** Where `createdAt` comes from. Default: the system clock. */
  clock?: Clock;
}

/** A job turned into a payload, and the text that goes to the driver. */
export interface EncodedJob {
  /** The payload. */
  readonly payload: JobPayload;
  /** Its serialized (and, with a key, signed) text. */
  readonly body: string;
}

/** A payload read back, and the job built from it. */
export interface DecodedJob {
  /** The payload. */
  readonly payload: JobPayload;
  /** A new instance of the registered class, with the dispatched job's fields. */
  readonly job: object;
}

/**
 * Turns jobs into versioned JSON payloads and back. Writing fails at dispatch, naming the
 * field, for anything that would not survive the trip; reading refuses, with a typed error and
 * before building anything, payloads that are too large, badly signed, malformed, that carry
 * prototype keys, or name a class the registry does not hold.
 *
 * @example
 * const codec = new PayloadCodec(jobRegistry(app), { signingKey: process.env.APP_KEY });
 * const { body } = codec.encode(new SendInvoice(42));
 * const { job } = codec.decode(body); // a SendInvoice, built without its constructor
 */
export class PayloadCodec {
  readonly #registry: JobRegistry;
  readonly #signer: PayloadSigner | undefined;
  readonly #maxBytes: number;
  readonly #clock: Clock;

  /**
   * @param registry - The classes that may be written and built.
   * @param options - Signing key, size limit and clock.
   * @throws {InvalidQueueConfigError} For a key shorter than 32 bytes or an unusable size limit.
   */
  constructor(registry: JobRegistry, options: PayloadCodecOptions = {}) {
    this.#registry = registry;
    this.#signer = options.signingKey === undefined ? undefined : new PayloadSigner(checkKey(options.signingKey));
    this.#maxBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isSafeInteger(this.#maxBytes) || this.#maxBytes <= 0) {
      throw InvalidQueueConfigError.because(`maxPayloadBytes must be a positive whole number; got ${this.#maxBytes}.`);
    }
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Writes a job as a payload.
   *
   * @param job - An instance of a registered job class.
   * @param chain - When the job is the first of a chain: the rest of it, already written.
   * @param trace - The dispatch's trace context (W3C `traceparent`...), carried to the worker.
   * @returns The payload and its text.
   * @throws {JobNotRegisteredError} When the job's class is not registered.
   * @throws {JobNotSerializableError} Naming the first field that cannot be written.
   * @throws {InvalidJobOptionError} When `tries`, `backoff`... have unusable values.
   * @throws {InvalidPayloadError} `too-large`, when the payload exceeds the size limit.
   */
  encode(job: object, chain?: ChainPayload, trace?: Record<string, string>): EncodedJob {
    const payload = this.payloadOf(job, chain);
    if (trace !== undefined) payload.trace = trace;
    return { payload, body: this.#write(payload) };
  }

  /**
   * Builds a job's payload without writing it: for the jobs a chain carries in its first job's
   * payload. Throws as `encode()` does, except for the size limit.
   */
  payloadOf(job: object, chain?: ChainPayload): JobPayload {
    const type = classOf(job);
    const name = this.#registry.nameOf(type);
    const payload: JobPayload = {
      v: PAYLOAD_VERSION,
      id: randomUUID(),
      job: name,
      displayName: displayName(job, type),
      data: encodeFields(job, type.name, this.#registry),
      attempts: 0,
      ...readJobOptions(job, type.name),
      createdAt: this.#clock.now(),
    };
    if (chain !== undefined) payload.chain = chain;
    return payload;
  }

  /**
   * Writes a payload built from another one (the next job of a chain): signs it, when a key is
   * configured, and checks its size.
   *
   * @throws {InvalidPayloadError} `too-large`, when the payload exceeds the size limit.
   */
  write(payload: JobPayload): string {
    return this.#write(payload);
  }

  /**
   * Reads a payload without building its job: for listings and for drivers that need its fields.
   *
   * @throws {InvalidPayloadError} When the payload is refused; `reason` says why.
   */
  read(body: unknown): JobPayload {
    if (typeof body !== 'string') throw InvalidPayloadError.malformed('it is not text');
    this.#checkSize(body);
    const text = this.#signer === undefined ? body : this.#signer.verify(body);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw InvalidPayloadError.malformed('it is not valid JSON', error);
    }
    assertNoForbiddenKeys(parsed);
    assertPayloadShape(parsed);
    // A signature that this (keyless) codec cannot check is not part of the payload.
    if (!Object.hasOwn(parsed, 'sig')) return parsed;
    const { sig: _sig, ...payload } = parsed as JobPayload & { sig?: unknown };
    return payload;
  }

  /**
   * Reads a payload and builds its job.
   *
   * @throws {InvalidPayloadError} When the payload is refused, or names a class that is not
   *   registered (its own, or that of a job its chain carries).
   */
  decode(body: unknown): DecodedJob {
    const payload = this.read(body);
    const type = this.#registry.classFor(payload.job);
    if (type === undefined) throw InvalidPayloadError.unknownJob(payload.job, 'job');
    if (payload.chain !== undefined) assertChainJobsRegistered(payload.chain, this.#registry);
    return { payload, job: buildInstance(type, payload.data, this.#registry) };
  }

  /**
   * Prepares a failed payload to be pushed again: a job whose `retryUntil` is a method gets a
   * new deadline from it, as at dispatch. Other payloads, and payloads that cannot be read, are
   * returned unchanged.
   */
  refresh(body: string): string {
    try {
      const { payload, job } = this.decode(body);
      if (payload.retryUntil === null) return body;
      const { retryUntil } = readJobOptions(job, payload.displayName);
      return retryUntil === payload.retryUntil ? body : this.#write({ ...payload, retryUntil });
    } catch {
      return body;
    }
  }

  #write(payload: JobPayload): string {
    const json = JSON.stringify(payload);
    const body = this.#signer === undefined ? json : this.#signer.sign(json);
    this.#checkSize(body);
    return body;
  }

  #checkSize(body: string): void {
    // Fast path: UTF-8 takes at most 3 bytes per UTF-16 unit, so short text needs no count.
    if (body.length * 3 <= this.#maxBytes) return;
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > this.#maxBytes) throw InvalidPayloadError.tooLarge(bytes, this.#maxBytes);
  }
}

function classOf(job: object): Constructor {
  const type = (Object.getPrototypeOf(job) as { constructor?: unknown } | null)?.constructor;
  if (typeof type !== 'function' || type.prototype !== Object.getPrototypeOf(job) || type === Object) {
    throw JobNotRegisteredError.forClass(typeof type === 'function' ? type.name : '');
  }
  return type as Constructor;
}

function displayName(job: object, type: Constructor): string {
  const method = (job as { displayName?: unknown }).displayName;
  const name = typeof method === 'function' ? (method.call(job) as unknown) : undefined;
  return typeof name === 'string' && name !== '' ? name : type.name;
}

function checkKey(key: string | Buffer): string | Buffer {
  const bytes = typeof key === 'string' ? Buffer.byteLength(key, 'utf8') : key.length;
  if (bytes < 32) {
    throw InvalidQueueConfigError.because(
      `signingKey must be at least 32 bytes (it has ${bytes}); use a random secret such as ` +
        "require('node:crypto').randomBytes(32).toString('base64').",
    );
  }
  return key;
}
