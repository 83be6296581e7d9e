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

/** Whether recorded jobs are the expected chain: as many, in order, each of the class or equal to the instance. */
export function chainMatches(jobs: readonly object[], expected: readonly ChainEntry[], same: SameJob): boolean {
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
export function describeChain(expected: readonly ChainEntry[]): string[] {
  return expected.map((entry) => (typeof entry === 'function' ? nameOf(entry) : describeValue(entry)));
}

/**
 * A recorded chain described the way the expected one is, entry by entry (a name where a class
 * was expected, fields where an instance was), so that a diff shows only what differs.
 */
export function describeRecordedChain(jobs: readonly object[], expected: readonly ChainEntry[]): string[] {
  return jobs.map((job, index) => (typeof expected[index] === 'object' ? describeValue(job) : nameOf(job.constructor)));
}

/** `[A, B, C]`: a recorded chain by class names. */
export function chainNames(jobs: readonly object[]): string {
  return `[${jobs.map((job) => nameOf(job.constructor)).join(', ')}]`;
}

/** Of the recorded chains, the one to compare with the expected one: the first that starts alike, else the first. */
export function closestChain(
  chains: readonly (readonly object[])[],
  expected: readonly ChainEntry[],
): readonly object[] {
  const first = expected[0];
  const type = typeof first === 'function' ? first : first?.constructor;
  return chains.find((jobs) => jobs[0]?.constructor === type) ?? chains[0] ?? [];
}
