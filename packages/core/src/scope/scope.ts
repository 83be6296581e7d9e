import type { DependencyContainer } from 'tsyringe';
import type { Application } from '../application.js';
import { DeferredCallbackCollection } from '../defer/deferred-callback-collection.js';
import type { DeferredCallback } from '../defer/deferred-callback.js';
import { InvalidCallbackError } from '../errors.js';
import type { ErrorContext } from '../reporter.js';
import { scopeStorage } from './scope-storage.js';
import { TerminatingCallbacks, type TerminatingCallback } from './terminating-callbacks.js';

// One settled promise serves every scope that has nothing to wait for.
const SETTLED: Promise<void> = Promise.resolve();

/** What a scope stands for: an HTTP request, a console command, a queued job, or the application itself. */
export type ScopeKind = 'http' | 'console' | 'job' | 'root';

/**
 * One unit of work: its own child container, its terminating callbacks and its deferred
 * callbacks. Everything is created on first use, so a request that registers nothing costs
 * almost nothing.
 *
 * Get the current one with `currentScope()`; create one with `app.createScope()` or
 * `app.runInScope()`.
 */
export class Scope {
  /** The application this scope belongs to. */
  readonly app: Application;
  /** What this scope stands for. */
  readonly kind: ScopeKind;
  /** What error reports from this scope should say about it (method and URL, command name...). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  #container: DependencyContainer | undefined;
  #terminating: TerminatingCallbacks | undefined;
  #deferred: DeferredCallbackCollection | undefined;
  #finished: Promise<void> | undefined;
  #outcome: boolean | undefined;

  /**
   * @param app - The owning application.
   * @param kind - What the scope stands for.
   * @param details - Context for error reports.
   * @param container - A container to use instead of a new child of the application's.
   */
  constructor(
    app: Application,
    kind: ScopeKind,
    details?: Record<string, unknown>,
    container?: DependencyContainer,
  ) {
    this.app = app;
    this.kind = kind;
    this.details = details;
    this.#container = container;
  }

  /** This scope's container: a child of the application's, made on first use. */
  get container(): DependencyContainer {
    return (this.#container ??= this.app.container.createChildContainer());
  }

  /** This scope's deferred callbacks (see `defer()`), made on first use. */
  get deferred(): DeferredCallbackCollection {
    return (this.#deferred ??= new DeferredCallbackCollection());
  }

  /**
   * Registers a callback to run when this scope ends, after deferred callbacks.
   *
   * @param callback - The work to run; a throw is reported and does not stop the others.
   * @param label - A readable name for reports.
   * @throws {InvalidCallbackError} When `callback` is not a function.
   */
  terminating(callback: TerminatingCallback, label?: string): void {
    if (typeof callback !== 'function') throw InvalidCallbackError.forRegistration('terminating', callback);
    (this.#terminating ??= new TerminatingCallbacks()).push(callback, label);
    this.#runIfEnded();
  }

  /**
   * Adds a deferred callback (see `defer()`).
   *
   * @returns The callback, for chaining.
   */
  defer(callback: DeferredCallback): DeferredCallback {
    this.deferred.add(callback);
    this.#runIfEnded();
    return callback;
  }

  // Work registered after the scope ended (by code still running after the response) runs at
  // once instead of waiting for an end that already happened.
  // It counts as in-flight again until then, so a shutdown waits for it (or reports it).
  #runIfEnded(): void {
    if (this.#outcome === undefined) return;
    this.app.retain(this);
    void this.drain(this.#outcome).finally(() => {
      if (!this.hasPendingWork) this.app.release(this);
    });
  }

  /** Whether anything waits for this scope's end: a terminating or deferred callback. */
  get hasPendingWork(): boolean {
    return (this.#terminating?.pending ?? 0) > 0 || (this.#deferred?.count() ?? 0) > 0;
  }

  /** Readable names of the terminating callbacks that have not finished. */
  unfinished(): string[] {
    return this.#terminating?.unfinished() ?? [];
  }

  /**
   * Runs `fn` with this scope as the current one, for `fn` and everything it starts.
   *
   * @returns What `fn` returns.
   */
  run<T>(fn: () => T): T {
    return scopeStorage.run(this, fn);
  }

  /**
   * Ends the scope once: deferred callbacks that pass `shouldDefer` (or are marked `always`),
   * then the terminating callbacks. Later calls return the first call's promise.
   *
   * @param succeeded - Whether the unit of work succeeded (status < 400, exit code 0...).
   * @param before - Work to run first, inside the scope (terminable middleware).
   */
  finish(succeeded: boolean, before?: () => Promise<void>): Promise<void> {
    if (this.#finished !== undefined) return this.#finished;
    if (before === undefined && !this.hasPendingWork) {
      // Nothing waits for this scope: end it without building a promise chain.
      this.#outcome = succeeded;
      this.app.release(this);
      return (this.#finished = SETTLED);
    }
    return (this.#finished = this.run(() => this.#finishOnce(succeeded, before)));
  }

  /** Whether `finish()` has been called. */
  get finishing(): boolean {
    return this.#finished !== undefined;
  }

  /** The error context of this scope, for reports. */
  reportContext(phase: string): ErrorContext {
    return { phase, scope: this.kind, ...this.details };
  }

  async #finishOnce(succeeded: boolean, before?: () => Promise<void>): Promise<void> {
    // Start after the current event's other listeners (an access log on 'finish', say): the
    // ending work must not run inside, or ahead of, whatever signalled the end.
    await SETTLED;
    try {
      // finish() started this in the scope, and an async function keeps its scope across awaits.
      await this.#drainHere(succeeded, before);
      this.#outcome = succeeded;
      // An after-response job may itself defer work; it runs now rather than never.
      while (this.hasPendingWork) await this.#drainHere(succeeded);
    } finally {
      this.#outcome = succeeded;
      this.app.release(this);
    }
  }

  /**
   * Runs, inside this scope, what is waiting now: `before` (or, without it, the deferred
   * callbacks allowed by `succeeded`), then the terminating callbacks, including those
   * registered meanwhile. Unlike `finish()` it may run again; the root scope uses it.
   */
  drain(succeeded: boolean, before?: () => Promise<void>): Promise<void> {
    return this.run(() => this.#drainHere(succeeded, before));
  }

  // drain() without entering the scope, for callers already in it. With only terminating
  // callbacks waiting (an after-response job), it is their drain loop itself, not a wrapper.
  #drainHere(succeeded: boolean, before?: () => Promise<void>): Promise<void> {
    if (before === undefined && this.#deferred === undefined) return this.#drainTerminating();
    return this.#drainAll(succeeded, before);
  }

  async #drainAll(succeeded: boolean, before?: () => Promise<void>): Promise<void> {
    if (before) await before();
    else await this.invokeDeferred(succeeded);
    await this.#drainTerminating();
  }

  #drainTerminating(): Promise<void> {
    if (this.#terminating === undefined) return SETTLED;
    return this.#terminating.drain(this);
  }

  /**
   * Runs the deferred callbacks that may run: all when `succeeded`, otherwise those marked `always`.
   */
  invokeDeferred(succeeded: boolean): Promise<void> {
    if (this.#deferred === undefined) return SETTLED;
    return this.#deferred.invokeWhen((callback) => succeeded || callback.runsAlways, this);
  }
}
