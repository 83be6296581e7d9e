import { describeValue, type Application } from '@epilogue/core';
import { InvalidRateLimitError, RateLimiterNotFoundError } from '../errors.js';

/** One limit of a named rate limiter: at most `max` jobs per window of `decaySeconds`. */
export interface RateLimit {
  /** How many jobs may run in one window (a whole number ≥ 1). */
  readonly max: number;
  /** The window's length in seconds; it starts with the first job that runs in it. */
  readonly decaySeconds: number;
  /** Gives each value its own window, such as a user id; one window for all jobs when absent. */
  readonly by?: string | number;
}

/** What a rate limiter returns for a job: one limit, several (all must allow it), or none for unlimited. */
export type RateLimitResult = RateLimit | readonly RateLimit[] | null | undefined;

/**
 * Computes the limits for a job, from its fields: `(job) => ({ max: 10, decaySeconds: 60, by: job.userId })`.
 * It may be async. Returning `null` or `undefined` lets the job run unlimited.
 */
export type RateLimiter<J = object> = (job: J) => RateLimitResult | Promise<RateLimitResult>;

/** The named rate limiters of one application. */
class RateLimiters {
  readonly #byName = new Map<string, RateLimiter>();

  define(name: string, limiter: RateLimiter): void {
    if (typeof name !== 'string' || name === '') {
      throw InvalidRateLimitError.because(`A rate limiter needs a non-empty name; got ${describeValue(name)}.`);
    }
    if (typeof limiter !== 'function') {
      throw InvalidRateLimitError.because(
        `The rate limiter "${name}" must be a function from a job to its limits; got ${describeValue(limiter)}.`,
      );
    }
    this.#byName.set(name, limiter);
  }

  get(name: string): RateLimiter {
    const limiter = this.#byName.get(name);
    if (limiter === undefined) throw RateLimiterNotFoundError.named(name, [...this.#byName.keys()]);
    return limiter;
  }
}

/**
 * Defines a named rate limiter for `RateLimited(name)` job middleware; a later definition of
 * the same name replaces it. Define it in every process that runs the jobs (workers included).
 *
 * @param app - The application.
 * @param name - The name jobs use in `new RateLimited(name)`.
 * @param limiter - Computes a job's limits; returning none lets it run unlimited.
 * @throws {InvalidRateLimitError} When the name is empty or the limiter is not a function.
 * @example
 * defineRateLimit(app, 'backups', (job: Backup) =>
 *   job.customer.isPremium ? null : { max: 10, decaySeconds: 60, by: job.customer.id },
 * );
 */
export function defineRateLimit<J>(app: Application, name: string, limiter: RateLimiter<J>): void {
  rateLimiters(app).define(name, limiter as RateLimiter);
}

/**
 * The limits of the rate limiter `name` for `job`, checked.
 *
 * @param app - The application the limiter was defined in.
 * @param name - The limiter's name.
 * @param job - The job about to run.
 * @returns The limits; empty for none.
 * @throws {RateLimiterNotFoundError} When no limiter has the name.
 * @throws {InvalidRateLimitError} When the limiter returned an unusable limit.
 */
export async function limitsFor(app: Application, name: string, job: object): Promise<readonly RateLimit[]> {
  const result = await rateLimiters(app).get(name)(job);
  if (result === null || result === undefined) return [];
  const limits = Array.isArray(result) ? (result as readonly RateLimit[]) : [result as RateLimit];
  for (const limit of limits) checkLimit(name, limit);
  return limits;
}

function checkLimit(name: string, limit: RateLimit): void {
  const problem = limitProblem(limit);
  if (problem !== undefined) {
    throw InvalidRateLimitError.because(
      `The rate limiter "${name}" returned an unusable limit: ${problem}. Return { max, decaySeconds, by? }, ` +
        'a list of them, or null for no limit.',
    );
  }
}

function limitProblem(limit: RateLimit): string | undefined {
  if (!isRecord(limit)) return `a limit must be { max, decaySeconds, by? }; got ${describeValue(limit)}`;
  const { max, decaySeconds, by } = limit;
  if (!(Number.isSafeInteger(max) && max >= 1)) return `\`max\` must be a whole number ≥ 1; got ${describeValue(max)}`;
  if (!(typeof decaySeconds === 'number' && Number.isFinite(decaySeconds) && decaySeconds > 0)) {
    return `\`decaySeconds\` must be seconds > 0; got ${describeValue(decaySeconds)}`;
  }
  if (!(by === undefined || typeof by === 'string' || (typeof by === 'number' && Number.isFinite(by)))) {
    return `\`by\` must be a string or a number; got ${describeValue(by)}`;
  }
  return undefined;
}

function isRecord(value: unknown): value is RateLimit {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rateLimiters(app: Application): RateLimiters {
  return app.singleton(RateLimiters, () => new RateLimiters());
}
