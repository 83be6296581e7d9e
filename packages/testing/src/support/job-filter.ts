import type { AnyClass } from '../assertions/records.js';
import { InvalidFakeOptionError } from '../errors.js';

/** Which jobs (or events) a fake takes; the others go to the real service. */
export interface FakeOptions {
  /** Fake only instances of these classes (exactly these, not subclasses). */
  only?: readonly AnyClass[];
  /** Fake everything but instances of these classes. */
  except?: readonly AnyClass[];
}

/**
 * The test a fake applies to each job or event: whether it fakes it.
 *
 * @param fake - The fake's name, for errors.
 * @throws {InvalidFakeOptionError} When `only` or `except` is not a list of classes.
 */
export function jobFilter(fake: string, options: FakeOptions): (value: unknown) => boolean {
  const only = classes(fake, 'only', options.only);
  const except = classes(fake, 'except', options.except);
  return (value) => {
    if (typeof value !== 'object' || value === null) return false;
    const type = value.constructor;
    return (only === undefined || only.has(type)) && (except === undefined || !except.has(type));
  };
}

function classes(fake: string, option: string, list: unknown): ReadonlySet<unknown> | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw InvalidFakeOptionError.forOption(fake, option, list);
  const unusable = list.findIndex((entry) => typeof entry !== 'function');
  if (unusable >= 0) throw InvalidFakeOptionError.forOption(fake, option, list[unusable]);
  return new Set(list);
}
