import { InvalidExpectationError } from '../errors.js';
import { describeValue, nameOf } from './describe-value.js';
import type { AnyClass, Caller } from './records.js';

/** One entry of an expected chain: a job class (any job of it), or a job instance (a job equal to it). */
export type ChainEntry = AnyClass | object;

/** Whether a job equals an expected instance of its class. */
export type SameJob = (job: object, expected: object) => boolean;

/**
 * Checks that an expected chain is a non-empty list of classes and instances.
 *
 * @throws {InvalidExpectationError} When it is not.
 */
export function checkChain(caller: Caller, chain: unknown, allowEmpty = false): asserts chain is readonly ChainEntry[] {
  const usable =
    Array.isArray(chain) &&
    (allowEmpty || chain.length > 0) &&
    chain.every((entry) => typeof entry === 'function' || (typeof entry === 'object' && entry !== null));
  if (!usable) {
    const list = `a ${allowEmpty ? '' : 'non-empty '}list of job classes or job instances`;
    const what = `${list}, such as [IndexFeed, new NotifyImported(7)]`;
    throw InvalidExpectationError.forArgument(caller.name, what, chain);
  }
}

/** An expected chain that no recorded one matched, and the closest recorded one, described alike for a diff. */
export interface ChainMismatch {
  /** The closest recorded chain: a name where the expected one has a class, fields where it has an instance. */
  readonly actual: string[];
  /** The expected chain: names of classes, descriptions of instances. */
  readonly expected: string[];
}

/**
 * Compares recorded chains with the expected one.
 *
 * @param chains - The recorded chains, each a list of jobs.
 * @param expected - The expected chain: classes (any job of them) and instances (a job equal to them).
 * @param same - Whether a recorded job equals an expected instance of its class.
 * @returns Nothing when a recorded chain matches; else what an assertion failure shows.
 */
export function compareChains(
  chains: readonly (readonly object[])[],
  expected: readonly ChainEntry[],
  same: SameJob,
): ChainMismatch | undefined {
  if (chains.some((jobs) => chainMatches(jobs, expected, same))) return undefined;
  return { actual: describeRecordedChain(closestChain(chains, expected), expected), expected: describeChain(expected) };
}

/** `[A, B, C]`: a recorded chain by class names. */
export function chainNames(jobs: readonly object[]): string {
  return `[${jobs.map((job) => nameOf(job.constructor)).join(', ')}]`;
}

/** Whether recorded jobs are the expected chain: as many, in order, each of the class or equal to the instance. */
function chainMatches(jobs: readonly object[], expected: readonly ChainEntry[], same: SameJob): boolean {
  return (
    jobs.length === expected.length &&
    expected.every((entry, index) => {
      const job = jobs[index];
      if (typeof entry === 'function') return job.constructor === entry;
      return job.constructor === entry.constructor && same(job, entry);
    })
  );
}

/** The chain of names (or, for instances, descriptions) that was expected, for messages and diffs. */
function describeChain(expected: readonly ChainEntry[]): string[] {
  return expected.map((entry) => (typeof entry === 'function' ? nameOf(entry) : describeValue(entry)));
}

/**
 * A recorded chain described the way the expected one is, entry by entry (a name where a class
 * was expected, fields where an instance was), so that a diff shows only what differs.
 */
function describeRecordedChain(jobs: readonly object[], expected: readonly ChainEntry[]): string[] {
  return jobs.map((job, index) => (typeof expected[index] === 'object' ? describeValue(job) : nameOf(job.constructor)));
}

/** Of the recorded chains, the one to compare with the expected one: the first that starts alike, else the first. */
function closestChain(
  chains: readonly (readonly object[])[],
  expected: readonly ChainEntry[],
): readonly object[] {
  const first = expected[0];
  const type = typeof first === 'function' ? first : first?.constructor;
  return chains.find((jobs) => jobs[0]?.constructor === type) ?? chains[0] ?? [];
}
