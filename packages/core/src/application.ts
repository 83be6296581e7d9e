import { AfterResponseGovernor } from './after-response/governor.js';
import type { AfterResponseOptions } from './after-response/options.js';
import { globalContainer, type DependencyContainer, type InjectionToken } from './container.js';
import { CloseTimeoutError, NoApplicationError, resolveDependency, ShutdownTimeoutError } from './errors.js';
import { HttpKernel } from './http/http-kernel.js';
import { Pipeline } from './pipeline/pipeline.js';
import { consoleReporter, type ErrorContext, type ErrorReporter } from './reporter.js';
import { state } from './process-state.js';
import type { ScopeOwner } from './scope/scope-owner.js';
import { currentScope } from './scope/scope-storage.js';
import { Scope, type ScopeKind } from './scope/scope.js';
import { Closables, type Closable } from './shutdown/closables.js';
import { forget, watchUntilTerminated } from './shutdown/exit-watch.js';
import type { TerminatingCallback } from './scope/terminating-callbacks.js';

/** Options of `new Application()`. */
export interface ApplicationOptions {
  /** Receives every error caught by Epilogue (after-response jobs, deferred callbacks...). Default: `console.error`. */
  report?: ErrorReporter;
  /** The container to build the application's on; a child of tsyringe's global container by default. */
  container?: DependencyContainer;
  /**
   * How after-response work shares the process with requests: how many callbacks run at once,
   * how many may wait, and the queue connection that takes jobs beyond that (see `app.afterResponse`).
   */
  afterResponse?: AfterResponseOptions;
}

/** Options of `app.shutdown()`. */
export interface ShutdownOptions {
  /**
   * How long to wait for in-flight work. Then jobs that have not finished go to the
   * `afterResponse.overflow` connection, when there is one, and what is left is reported.
   * Closing the resources (`app.closeOnShutdown()`) and running the `onShutdown()` hooks
   * afterwards get as long again, together.
   * Default: 10,000 ms.
   */
  timeoutMs?: number;
}

/** Options of `app.runInScope()`. */
export interface ScopeOptions {
  /** What the scope stands for; `job` by default. */
  kind?: ScopeKind;
  /** Context for error reports from this scope. */
  details?: Record<string, unknown>;
}

/**
 * A function `app.shutdown()` calls: with `onShutdownStart()`, when shutdown begins, to stop
 * taking new work; with `onShutdown()`, once the work has ended, to close what the work used.
 */
export type ShutdownHook = () => unknown;

/** Whether `app` was built on tsyringe's global container; core's per-application bindings use it. */
export function isOnGlobalContainer(app: Application): boolean {
  return state.onGlobalContainer.has(app);
}

/**
 * The root of an Epilogue program: a tsyringe container, the lifecycle of scopes, the error
 * reporter and graceful shutdown.
 *
 * @example
 * const app = new Application({ report: (error, context) => logger.error({ error, ...context }) });
 * app.container.register(Mailer, { useClass: SmtpMailer });
 * await app.runInScope(async () => {
 *   defer(() => console.log('after the work'));
 * });
 */
export class Application implements ScopeOwner {
  /** The application's root container. Scopes resolve through children of it. */
  readonly container: DependencyContainer;
  /** The scope used outside any request, command or job; `app.terminate()` drains it. */
  readonly rootScope: Scope;
  /** Reports an error with its context; never throws. */
  readonly report: ErrorReporter;
  /**
   * Starts the after-response work of every request, requests first and within the limits of
   * the `afterResponse` option; `stats()` and `overloaded` tell how it is doing.
   */
  readonly afterResponse: AfterResponseGovernor;

  readonly #active = new Set<Scope>();
  readonly #startHooks = new Set<ShutdownHook>();
  readonly #shutdownHooks: Closables;
  readonly #singletons = new Map<unknown, unknown>();
  readonly #closables: Closables;
  #idle: (() => void) | undefined;
  #shutdown: Promise<void> | undefined;

  /**
   * @param options - The reporter, the after-response limits and, optionally, a parent container.
   * @throws {InvalidAfterResponseOptionError} When an `afterResponse` option is out of range.
   */
  constructor(options: ApplicationOptions = {}) {
    const reporter = options.report ?? consoleReporter;
    this.report = (error, context) => safely(reporter, error, context);
    this.afterResponse = new AfterResponseGovernor(options.afterResponse, this.report);
    this.#closables = new Closables(this.report);
    this.#shutdownHooks = new Closables(this.report, { contextKey: 'hook', timedOut: CloseTimeoutError.forHook });
    this.container = (options.container ?? globalContainer).createChildContainer();
    if (options.container === undefined || options.container === globalContainer) state.onGlobalContainer.add(this);
    state.applications.add(this);
    this.container.registerInstance(Application, this);
    this.container.registerInstance(HttpKernel, new HttpKernel());
    this.container.register(Pipeline, { useFactory: (container) => new Pipeline(container) });
    this.rootScope = new Scope(this, 'root', undefined, this.container);
    Application.setInstance(this);
  }

  /**
   * The application the static helpers use: the one of the current scope, else the last one created.
   *
   * @throws {NoApplicationError} When no application was created.
   */
  static getInstance(): Application {
    // The process's registry, not `instanceof`: an application of another copy of this package
    // (two versions installed) is found too.
    const owner = currentScope()?.app;
    const app = owner !== undefined && state.applications.has(owner) ? owner : state.current;
    if (app === undefined) throw new NoApplicationError();
    return app as Application;
  }

  /** Makes `app` the one `getInstance()` returns outside scopes (or forgets it with `undefined`). */
  static setInstance(app: Application | undefined): void {
    state.current = app;
  }

  /** Whether `shutdown()` has begun. */
  get isShuttingDown(): boolean {
    return this.#shutdown !== undefined;
  }

  /** How many scopes (requests, commands, jobs) have begun and not finished. */
  get activeScopes(): number {
    return this.#active.size;
  }

  /**
   * Resolves `token` in the current scope's container when called inside one of this
   * application's scopes, else in the application's container.
   */
  make<T>(token: InjectionToken<T>): T {
    const scope = currentScope();
    const container = scope !== undefined && scope.app === this ? scope.container : this.container;
    return resolveDependency(container, token, 'app.make()');
  }

  /**
   * The one instance of `key` for this application, created by `create` on first use. Packages
   * use it for services there must be one of per application, such as the `Dispatcher`.
   */
  singleton<T>(key: unknown, create: (app: Application) => T): T {
    // One lookup on the hot path (the Job statics call this per dispatch); `has` only for undefined.
    const found = this.#singletons.get(key);
    if (found !== undefined || this.#singletons.has(key)) return found as T;
    const made = create(this);
    this.#singletons.set(key, made);
    return made;
  }

  /** The current scope if it belongs to this application, else the root scope. */
  currentScope(): Scope {
    const scope = currentScope();
    return scope !== undefined && scope.app === this ? scope : this.rootScope;
  }

  /**
   * Registers work to run when the current scope ends (after the response, the command or the
   * job); outside any scope, when `app.terminate()` runs.
   */
  terminating(callback: TerminatingCallback, label?: string): void {
    this.currentScope().terminating(callback, label);
  }

  /**
   * Runs the root scope's deferred and terminating callbacks (those registered outside any
   * scope). A process that is about to exit on its own with such work not run reports it as
   * `E_PENDING_AT_EXIT`, naming it, rather than losing it without a word.
   */
  async terminate(): Promise<void> {
    await this.rootScope.drain();
    if (!this.rootScope.hasPendingWork) forget(this);
  }

  /**
   * Called by the root scope when work is registered on it; not for application code.
   * @internal
   */
  rootWorkAdded(): void {
    watchUntilTerminated(this);
  }

  /**
   * Starts a scope that counts as in-flight until its `finish()` has run. Adapters call this
   * once per request; most code wants `runInScope()`.
   */
  createScope(kind: ScopeKind, details?: Record<string, unknown>): Scope {
    const scope = new Scope(this, kind, details);
    this.#active.add(scope);
    return scope;
  }

  /**
   * Counts a scope as in-flight (again); scopes call it, application code does not need to.
   * @internal
   */
  retain(scope: Scope): void {
    this.#active.add(scope);
  }

  /**
   * Called by a scope when it has finished; not for application code.
   * @internal
   */
  release(scope: Scope): void {
    if (this.#active.delete(scope) && this.#active.size === 0) this.#idle?.();
  }

  /**
   * Runs `fn` in a new scope, then ends the scope: deferred callbacks when `fn` succeeded (or
   * `always`), then terminating callbacks. A rejection of `fn` is passed on after that.
   *
   * @returns What `fn` resolves to.
   */
  async runInScope<T>(fn: (scope: Scope) => T | Promise<T>, options: ScopeOptions = {}): Promise<T> {
    const scope = this.createScope(options.kind ?? 'job', options.details);
    let succeeded = false;
    try {
      const result = await scope.run(() => fn(scope));
      succeeded = true;
      return result;
    } finally {
      await scope.finish(succeeded);
    }
  }

  /**
   * Registers a function to call when shutdown begins, to stop taking new work: close a server,
   * stop a consumer. It is not awaited (shutdown goes on to wait for the work in flight, which
   * the stop may itself wait for), so it must start stopping and return; a rejection is reported.
   * The adapters' `serve()` and plugins and `Worker`s register theirs.
   *
   * @returns A function that removes the hook.
   * @example
   * const server = expressApp.listen(3000);
   * app.onShutdownStart(() => server.close()); // no new connections once shutdown begins
   */
  onShutdownStart(hook: ShutdownHook): () => void {
    this.#startHooks.add(hook);
    return () => this.#startHooks.delete(hook);
  }

  /**
   * Registers a function to call once the work has ended, to close what it used (a database
   * pool, a client): after the in-flight requests and their after-response work (or the
   * timeout's spill), the root scope's callbacks and the resources of `closeOnShutdown()` (the
   * queue connections, whose in-flight jobs end first). Hooks run one at a time, the last
   * registered first, each awaited and isolated: a throw or rejection is reported (context
   * `{ phase: 'shutdown', hook: label }`) and the others still run. They share the closing
   * time (`timeoutMs` of `app.shutdown()`) with the resources; one still running then is reported
   * as `E_CLOSE_TIMEOUT` and the next runs. One registered after the hooks ran runs at once.
   *
   * @param hook - What to run; the shutdown waits for a promise it returns.
   * @param label - A readable name for reports; the function's name by default.
   * @returns A function that removes the hook.
   * @example
   * const pool = new pg.Pool();
   * app.onShutdown(() => pool.end(), 'close the pg pool'); // after-response jobs have ended by then
   */
  onShutdown(hook: ShutdownHook, label = hook.name || 'anonymous'): () => void {
    return this.#shutdownHooks.add({ close: hook }, label);
  }

  /**
   * Registers a resource for `app.shutdown()` to close once the work has drained: a queue
   * driver, a thread pool, a database client. `configureQueues()` registers the queue
   * connections this way. Resources close in the reverse order of their registration; one
   * registered after the shutdown is closed at once.
   *
   * @param closable - Anything with a `close()` method; it may be called more than once.
   * @param label - A readable name for reports ("the redis queue connection").
   * @returns A function that removes it (when you close it yourself).
   * @example
   * const pool = new pg.Pool();
   * app.closeOnShutdown({ close: () => pool.end() }, 'the pg pool');
   */
  closeOnShutdown(closable: Closable, label = 'a resource'): () => void {
    return this.#closables.add(closable, label);
  }

  /**
   * Stops gracefully, in this order: calls the `onShutdownStart()` hooks (adapters stop
   * accepting requests, workers stop taking jobs), waits for in-flight scopes and their
   * after-response work, runs the root scope's callbacks, closes the resources registered with
   * `closeOnShutdown()` (the queue connections, which let their in-flight jobs end, thread
   * pools), then runs the `onShutdown()` hooks (your database pools close last) and stops the
   * governor's timers, so that a script can end on its own after `await app.shutdown()`. When
   * `timeoutMs` runs out first, after-response jobs that have not finished (started or not) are
   * pushed to the `afterResponse.overflow` connection, so a worker runs them (at least once: one
   * that was running here may run twice), and what could not be pushed is reported. Closing (the
   * resources, then the hooks) gets `timeoutMs` again; one still closing then is reported as
   * `E_CLOSE_TIMEOUT`. Later calls return the same promise, which never rejects: every failure
   * along the way goes to the reporter.
   *
   * @example
   * await Notify.dispatch(user.id); // queued on Redis
   * await app.shutdown();           // the Redis connections close; the script exits
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    return (this.#shutdown ??= this.#performShutdown(options.timeoutMs ?? 10_000));
  }

  async #performShutdown(timeoutMs: number): Promise<void> {
    const reportHookError = (error: unknown) => this.report(error, { phase: 'shutdown', scope: 'root' });
    for (const hook of this.#startHooks) {
      try {
        const result = hook();
        if (isPromiseLike(result)) result.then(undefined, reportHookError);
      } catch (error) {
        reportHookError(error);
      }
    }
    const drained = await this.#waitForIdle(timeoutMs);
    if (!drained) {
      const spilled = await this.afterResponse.spill(this.#active);
      // What is still listed was neither finished nor pushed; a running job that was pushed
      // (listed first by unfinished()) is named in the report as one that may run twice.
      const pending = [...this.#active].flatMap((scope) => {
        const names = scope.unfinished();
        return spilled.pushedRunning.has(scope.runningStep) ? names.slice(1) : names;
      });
      this.report(ShutdownTimeoutError.after(timeoutMs, pending, spilled), { phase: 'shutdown', scope: 'root' });
    }
    await this.terminate();
    // Resources first: closing a queue connection lets its in-flight jobs end, and those may
    // still use what the hooks close.
    const closeBy = performance.now() + timeoutMs;
    await this.#closables.close(closeBy);
    await this.#shutdownHooks.close(closeBy);
    this.afterResponse.stop();
  }

  #waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.#active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idle = undefined;
        resolve(false);
      }, timeoutMs);
      this.#idle = () => {
        clearTimeout(timer);
        this.#idle = undefined;
        resolve(true);
      };
    });
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

function safely(reporter: ErrorReporter, error: unknown, context: ErrorContext): void {
  try {
    reporter(error, context);
  } catch (reporterError) {
    console.error('[epilogue] the error reporter threw while reporting', context, error, reporterError);
  }
}

