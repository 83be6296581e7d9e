import type { DependencyContainer } from '../container.js';
import { DeferredCallbackCollection } from '../defer/deferred-callback-collection.js';
import type { DeferredCallback } from '../defer/deferred-callback.js';
import { runsDeferredAtOnce } from '../defer/defer-at-once.js';
import { InvalidCallbackError } from '../errors.js';
import type { ErrorContext } from '../reporter.js';
import { DEFERRED_CALLBACKS, type ScopeEnding } from './scope-ending.js';
import type { ScopeOwner } from './scope-owner.js';
import { scopeStorage } from './scope-storage.js';
import { ReportedFailure, type Step } from './step.js';
import { recordStepDuration, stepDurationsRecorded } from '../telemetry/metrics.js';
import { activeTraceContext, spansObserved, traced, type TracedAttributes, type TraceContext } from '../telemetry/tracing.js';
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
 * A scope ends one way: `finish()` records the outcome, and its work then runs as steps, one
 * at a time and in order — the kernel's terminable middleware, the deferred callbacks the
 * outcome allows, then the terminating callbacks (work registered meanwhile included). An HTTP
 * scope's steps start through the application's after-response governor (requests first); a
 * command's or a job's run at once, since their runner waits for them.
 *
 * Get the current one with `currentScope()`; create one with `app.createScope()` or
 * `app.runInScope()`.
 */
export class Scope {
  /** The application this scope belongs to. */
  readonly app: ScopeOwner;
  /** What this scope stands for. */
  readonly kind: ScopeKind;
  /** What error reports from this scope should say about it (method and URL, command name...). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  #container: DependencyContainer | undefined;
  #terminating: TerminatingCallbacks | undefined;
  #deferred: DeferredCallbackCollection | undefined;
  // The deferred callbacks taken from the collection and not started yet.
  #batch: DeferredCallback[] = [];
  #ending: ScopeEnding | undefined;
  #inDeferredPhase = false;
  #peeked: Step | undefined;
  #running: Step | undefined;
  #outcome: boolean | undefined;
  #driving = false;
  #finished: Promise<void> | undefined;
  #resolveFinished: (() => void) | undefined;
  #draining: Promise<void> | undefined;
  // The OpenTelemetry context the scope was created in (a request's span), when the API is installed.
  readonly #trace: TraceContext | undefined = activeTraceContext();

  /**
   * @param app - The owning application.
   * @param kind - What the scope stands for.
   * @param details - Context for error reports.
   * @param container - A container to use instead of a new child of the application's.
   */
  constructor(app: ScopeOwner, kind: ScopeKind, details?: Record<string, unknown>, container?: DependencyContainer) {
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
   * @param work - The job the callback runs (`dispatchAfterResponse` passes it): when the
   *   backlog is over `afterResponse.maxPending`, or a shutdown runs out of time, the governor
   *   may push it to the overflow queue connection instead of running the callback here.
   * @throws {InvalidCallbackError} When `callback` is not a function.
   */
  terminating(callback: TerminatingCallback, label?: string, work?: object): void {
    if (typeof callback !== 'function') throw InvalidCallbackError.forRegistration('terminating', callback);
    (this.#terminating ??= new TerminatingCallbacks()).push(callback, label, work);
    this.#added();
  }

  /**
   * Adds a deferred callback (see `defer()`). After `runDeferredAtOnce(app, true)` it runs now
   * instead: what it throws is thrown here, and a promise it returns that rejects is reported.
   *
   * @returns The callback, for chaining.
   */
  defer(callback: DeferredCallback): DeferredCallback {
    if (runsDeferredAtOnce(this.app)) {
      const result = callback.invoke();
      if (result instanceof Promise) {
        result.catch((error: unknown) => this.app.report(error, { ...this.reportContext('deferred'), callback: callback.name() }));
      }
      return callback;
    }
    this.deferred.add(callback);
    this.#added();
    return callback;
  }

  /** Whether anything waits for this scope's end: a terminating or deferred callback. */
  get hasPendingWork(): boolean {
    return this.pendingSteps > 0;
  }

  /** How many steps of this scope's end wait to start. */
  get pendingSteps(): number {
    const peeked = this.#peeked === undefined ? 0 : 1;
    const ending = this.#ending?.remaining ?? 0;
    const batch = this.#batch.reduce((sum, callback) => sum + (this.#allows(callback) ? 1 : 0), 0);
    const deferred = this.#deferred?.count((callback) => this.#allows(callback)) ?? 0;
    return peeked + ending + batch + deferred + (this.#terminating?.pending ?? 0);
  }

  /** The step running now, if any. */
  get runningStep(): Step | undefined {
    return this.#running;
  }

  /** Readable names of the work that is running or has not started. */
  unfinished(): string[] {
    const names = this.#running === undefined ? [] : [this.#running.label];
    if (this.#peeked !== undefined) names.push(this.#peeked.label);
    for (const callback of [...this.#batch, ...(this.#deferred?.all() ?? [])]) {
      if (this.#allows(callback)) names.push(callback.name());
    }
    return names.concat(this.#terminating?.labels() ?? []);
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
   * Ends the scope once: its work starts (see the class), and the promise resolves when the
   * last of it has run. Later calls return the first call's promise.
   *
   * @param succeeded - Whether the unit of work succeeded (status < 400, exit code 0...).
   * @param ending - The kernel's terminable middleware for this request, run first.
   */
  finish(succeeded: boolean, ending?: ScopeEnding): Promise<void> {
    if (this.#finished !== undefined) return this.#finished;
    this.#outcome = succeeded;
    this.#ending = ending;
    this.#peeked = this.takeStep();
    if (this.#peeked === undefined) {
      // Nothing waits for this scope: it ends here, with no promise and no governor.
      this.app.release(this);
      return (this.#finished = SETTLED);
    }
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    this.#drive();
    return this.#finished;
  }

  /** Whether `finish()` has been called. */
  get finishing(): boolean {
    return this.#finished !== undefined;
  }

  /** The error context of this scope, for reports. */
  reportContext(phase: string): ErrorContext {
    return { phase, scope: this.kind, ...this.details };
  }

  /**
   * Runs what waits now, at once and in order, and resolves when it has run (work registered
   * meanwhile included); the root scope's `app.terminate()` uses it. It may run again later.
   * @internal
   */
  drain(): Promise<void> {
    return (this.#draining ??= this.#runAll().finally(() => (this.#draining = undefined)));
  }

  /**
   * Takes the next step to start: terminable middleware first (the deferred callbacks where the
   * kernel puts them), then deferred callbacks the outcome allows, then terminating callbacks.
   * @internal
   */
  takeStep(): Step | undefined {
    const peeked = this.#peeked;
    if (peeked !== undefined) {
      this.#peeked = undefined;
      return peeked;
    }
    while (this.#ending !== undefined) {
      if (this.#inDeferredPhase) {
        const deferred = this.#takeDeferred();
        if (deferred !== undefined) return deferred;
        this.#inDeferredPhase = false;
      }
      const next = this.#ending.next();
      if (next === undefined) this.#ending = undefined;
      else if (next === DEFERRED_CALLBACKS) this.#inDeferredPhase = true;
      else return next;
    }
    return this.#takeDeferred() ?? this.#terminating?.take();
  }

  /**
   * Runs a step inside this scope. A throw or rejection is reported with the scope's context;
   * it never rejects.
   *
   * @returns Whether the step succeeded.
   * @internal
   */
  async runStep(step: Step): Promise<boolean> {
    this.#running = step;
    try {
      // Without an SDK (no tracer provider, propagator or meter provider) a step is run as if
      // the API were not installed: the span and the measure would go nowhere.
      if (this.#trace === undefined || !(spansObserved() || stepDurationsRecorded())) await this.run(() => step.call());
      else await this.#tracedStep(step, this.#trace);
      return true;
    } catch (error) {
      if (error instanceof ReportedFailure) return false;
      const key = step.phase === 'terminable-middleware' ? 'middleware' : 'callback';
      this.app.report(error, { ...this.reportContext(step.phase), phase: step.phase, [key]: step.label });
      return false;
    } finally {
      this.#running = undefined;
    }
  }

  // Each step gets a span under the scope's own context (the request's span), started now, after
  // the response, and its duration is measured. See docs/observability.md.
  #tracedStep(step: Step, parent: TraceContext): Promise<unknown> {
    const attributes = stepAttributes(this.kind, step);
    const started = performance.now();
    return traced(`${step.phase === 'terminating' ? 'after-response' : step.phase} ${step.label}`, { parent, attributes }, async () => await this.run(() => step.call())).finally(() =>
      recordStepDuration(performance.now() - started, attributes),
    );
  }

  /**
   * Removes the waiting terminating callbacks whose job `accepts` takes (for the overflow queue).
   * @internal
   */
  takeQueueable(accepts: (work: object) => boolean): Step[] {
    const taken = this.#terminating?.takeWhere(accepts) ?? [];
    const peeked = this.#peeked;
    if (peeked?.phase === 'terminating' && peeked.work !== undefined && accepts(peeked.work)) {
      this.#peeked = undefined;
      taken.unshift(peeked);
    }
    return taken;
  }

  /**
   * Takes back a step that could not be pushed to the overflow queue: it runs here after all.
   * @internal
   */
  putBack(step: Step): void {
    (this.#terminating ??= new TerminatingCallbacks()).putBack(step);
    this.#added();
  }

  /**
   * Called when nothing of this scope is left to run: the scope counts as finished.
   * @internal
   */
  settled(): void {
    this.#driving = false;
    // Work registered in the last moment (between the last step and this call) still runs.
    if (this.hasPendingWork) {
      this.#drive();
      return;
    }
    this.app.release(this);
    const resolve = this.#resolveFinished;
    this.#resolveFinished = undefined;
    resolve?.();
  }

  // Work registered after the scope ended (by code still running after the response) runs
  // too, rather than never; the scope counts as in flight again until then, so that a
  // shutdown waits for it (or reports it). The root scope waits for `app.terminate()` instead.
  #added(): void {
    if (this.#outcome === undefined) {
      if (this.kind === 'root') this.app.rootWorkAdded?.();
      return;
    }
    if (this.#driving) {
      this.app.afterResponse.changed(this);
      return;
    }
    this.app.retain(this);
    this.#drive();
  }

  #drive(): void {
    this.#driving = true;
    if (this.kind === 'http') this.app.afterResponse.admit(this);
    else void this.#runAll().then(() => this.settled());
  }

  async #runAll(): Promise<void> {
    // Start after the current event's other listeners: ending work must not run inside, or
    // ahead of, whatever signalled the end.
    await SETTLED;
    for (let step = this.takeStep(); step !== undefined; step = this.takeStep()) await this.runStep(step);
  }

  #takeDeferred(): Step | undefined {
    for (;;) {
      const callback = this.#batch.shift();
      if (callback !== undefined) {
        if (!this.#allows(callback)) continue;
        return { phase: 'deferred', label: callback.name(), call: () => callback.invoke() };
      }
      if (this.#deferred === undefined || this.#deferred.count() === 0) return undefined;
      this.#batch = this.#deferred.takeAll();
    }
  }

  // Deferred callbacks run when the work succeeded, or always when marked so; outside any
  // unit of work (the root scope) they all run.
  #allows(callback: DeferredCallback): boolean {
    return this.#outcome !== false || callback.runsAlways;
  }
}

// What a step's span and duration carry: its phase, its name, and a job's class name.
function stepAttributes(kind: ScopeKind, step: Step): TracedAttributes {
  return {
    'epilogue.scope.kind': kind,
    'epilogue.step.phase': step.phase,
    'epilogue.step.name': step.label,
    'epilogue.job.name': step.work === undefined ? undefined : step.work.constructor.name,
  };
}
