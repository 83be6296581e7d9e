import { queuedClasses } from '@epilogue/bus';
import { describeValue, type Application, type Constructor } from '@epilogue/core';
import { DuplicateJobNameError, InvalidQueueConfigError, JobNotRegisteredError } from '../errors.js';

/**
 * Job classes to register: a list (each under its own name) or an object from explicit names
 * to classes, for names that must survive minification or renames.
 */
export type JobClasses = readonly Constructor[] | Readonly<Record<string, Constructor>>;

/**
 * The job classes one application may send to and build from a queue, by stable name. A worker
 * only ever builds classes found here, so a payload can never make it instantiate anything else.
 *
 * It holds the classes given to `registerJobs()` and, without any set-up, every class marked
 * `@ShouldQueue()`. A class's name is the one it was registered under, else its own static
 * `jobName` string, else its class name.
 */
export class JobRegistry {
  readonly #byName = new Map<string, Constructor>();
  readonly #byClass = new Map<Constructor, string>();
  #marked = new Map<string, Constructor[]>();
  #markedSeen = -1;

  /**
   * Adds job classes.
   *
   * @param jobs - Classes, or an object from names to classes.
   * @returns The registry, for chaining.
   * @throws {DuplicateJobNameError} When a name already belongs to another class, or a class already has another name.
   * @throws {InvalidQueueConfigError} When an entry is not a class or has no name.
   */
  register(jobs: JobClasses): this {
    const entries: [string | undefined, Constructor][] = Array.isArray(jobs)
      ? (jobs as readonly Constructor[]).map((job) => [undefined, job])
      : Object.entries(jobs as Record<string, Constructor>);
    for (const [explicit, job] of entries) {
      if (typeof job !== 'function') {
        throw InvalidQueueConfigError.because(`registerJobs() takes job classes; got ${describeValue(job)}.`);
      }
      this.#add(explicit ?? defaultName(job), job);
    }
    return this;
  }

  /**
   * The name a registered class travels under.
   *
   * @throws {JobNotRegisteredError} When the class is neither registered nor marked `@ShouldQueue()`.
   * @throws {DuplicateJobNameError} When its name is shared with another class.
   */
  nameOf(job: Constructor): string {
    const registered = this.#byClass.get(job);
    if (registered !== undefined) return registered;
    if (!queuedClasses().has(job)) throw JobNotRegisteredError.forClass(job.name);
    const name = defaultName(job);
    const found = this.classFor(name);
    if (found !== job) throw DuplicateJobNameError.forName(name, found?.name ?? '?', job.name);
    return name;
  }

  /** Whether instances of `job` may be queued: registered, or marked `@ShouldQueue()`. */
  has(job: Constructor): boolean {
    return this.#byClass.has(job) || queuedClasses().has(job);
  }

  /**
   * The class registered under `name`, if any.
   *
   * @throws {DuplicateJobNameError} When two `@ShouldQueue()` classes share the name.
   */
  classFor(name: string): Constructor | undefined {
    const explicit = this.#byName.get(name);
    if (explicit !== undefined) return explicit;
    const candidates = (this.#markedIndex().get(name) ?? []).filter((job) => !this.#byClass.has(job));
    if (candidates.length > 1) throw DuplicateJobNameError.forName(name, candidates[0].name, candidates[1].name);
    return candidates[0];
  }

  #add(name: string, job: Constructor): void {
    if (name === '') {
      throw InvalidQueueConfigError.because(
        'An anonymous class cannot be registered by its name; register it as { name: TheClass }.',
      );
    }
    const owner = this.#byName.get(name);
    if (owner !== undefined && owner !== job) throw DuplicateJobNameError.forName(name, owner.name, job.name);
    const current = this.#byClass.get(job);
    if (current !== undefined && current !== name) throw DuplicateJobNameError.forClass(job.name, current, name);
    this.#byName.set(name, job);
    this.#byClass.set(job, name);
  }

  // The marked set only grows (classes are marked as their modules load), so the index is
  // rebuilt only when its size changed since the last look.
  #markedIndex(): Map<string, Constructor[]> {
    const marked = queuedClasses();
    if (marked.size === this.#markedSeen) return this.#marked;
    const index = new Map<string, Constructor[]>();
    for (const job of marked) {
      const name = defaultName(job);
      const list = index.get(name);
      if (list === undefined) index.set(name, [job]);
      else list.push(job);
    }
    this.#marked = index;
    this.#markedSeen = marked.size;
    return index;
  }
}

/**
 * The job registry of an application, made on first use.
 *
 * @param app - The application.
 * @returns Its registry.
 */
export function jobRegistry(app: Application): JobRegistry {
  return app.singleton(JobRegistry, () => new JobRegistry());
}

/**
 * Registers job classes that may be queued and built again by a worker of this application.
 * Classes marked `@ShouldQueue()` need no registration; use this for classes dispatched to a
 * queue otherwise, for classes nested inside queued jobs, or to give a class an explicit name.
 *
 * @param app - The application (the dispatching one and the worker's).
 * @param jobs - Classes, or an object from stable names to classes.
 * @throws {DuplicateJobNameError} When two classes would share a name.
 * @example
 * registerJobs(app, [SendInvoice, Address]);
 * registerJobs(app, { 'billing.send-invoice': SendInvoice });
 */
export function registerJobs(app: Application, jobs: JobClasses): void {
  jobRegistry(app).register(jobs);
}

function defaultName(job: Constructor): string {
  const own = Object.hasOwn(job, 'jobName') ? (job as unknown as { jobName: unknown }).jobName : undefined;
  return typeof own === 'string' && own !== '' ? own : job.name;
}
