import type { Constructor } from '@epilogue/core';

const SHOULD_QUEUE = Symbol.for('epilogue.shouldQueue');
const marked = new Set<Constructor>();

/**
 * Marks a job class (or, later, a listener class) as queued: `dispatch()` pushes it to a queue
 * connection instead of running it now. Subclasses inherit the mark. In plain JavaScript, apply
 * it as a function: `ShouldQueue()(SendInvoice)`.
 *
 * @returns The class decorator.
 * @example
 * \@ShouldQueue()
 * class SendInvoice extends Job { ... }
 */
export function ShouldQueue(): <T extends Constructor>(target: T) => T {
  return (target) => {
    Object.defineProperty(target, SHOULD_QUEUE, { value: true, enumerable: false });
    marked.add(target);
    return target;
  };
}

/**
 * Whether a job (instance or class) is marked with `ShouldQueue`.
 *
 * @param job - A job instance or class.
 */
export function isShouldQueue(job: unknown): boolean {
  if (job === null || job === undefined) return false;
  const target = typeof job === 'function' ? job : (job as object).constructor;
  return (target as unknown as Record<symbol, unknown> | undefined)?.[SHOULD_QUEUE] === true;
}

/** Every class marked with `ShouldQueue` so far, for registries of queued job classes. */
export function queuedClasses(): ReadonlySet<Constructor> {
  return marked;
}
