import { AfterResponseOverloadedError } from '../errors.js';
import type { ErrorReporter } from '../reporter.js';
import type { Step } from '../scope/step.js';
import { watchGovernor } from '../telemetry/metrics.js';
import { LoopLag } from './loop-lag.js';
import { checkAfterResponseOptions, type AfterResponseOptions } from './options.js';

/** What `app.afterResponse.stats()` returns: counts of after-response callbacks, all scopes together. */
export interface AfterResponseStats {
  /** Callbacks running now. */
  readonly running: number;
  /** Callbacks of ended requests waiting to start. */
  readonly pending: number;
  /** Callbacks that ran to the end. */
  readonly completed: number;
  /** Callbacks that threw or rejected (each was reported). */
  readonly failed: number;
  /** Jobs sent to the overflow queue connection instead of running here (over `maxPending`, or at shutdown). */
  readonly overflowed: number;
}

/**
 * Where the governor sends jobs it will not keep in memory: the `overflow` queue connection.
 * `configureQueues()` of @epilogue/queue installs it when `afterResponse.overflow` is set.
 */
export interface OverflowQueue {
  /** The connection's name, for reports. */
  readonly connection: string;
  /** Whether this job may be pushed (its class is registered for the queue). */
  accepts(work: object): boolean;
  /** Pushes the job; rejects when it could not be (it then runs here after all). */
  push(work: object): Promise<unknown>;
}

/**
 * A scope, as the governor sees it: steps to start in order, one at a time. `Scope` implements it.
 * @internal
 */
export interface GovernedWork {
  /** How many steps wait to start. */
  readonly pendingSteps: number;
  /** The step running now, if any. */
  readonly runningStep: Step | undefined;
  /** Takes the next step to start, or `undefined` when none waits. */
  takeStep(): Step | undefined;
  /** Runs a step in the scope, isolated: resolves `false` when it threw (it was reported), never rejects. */
  runStep(step: Step): Promise<boolean>;
  /** Removes and returns the waiting steps whose job `accepts` takes. */
  takeQueueable(accepts: (work: object) => boolean): Step[];
  /** Puts a step back at the end (a push to the overflow queue failed). */
  putBack(step: Step): void;
  /** Called once the governor has nothing of it left to run. */
  settled(): void;
}

/** What a shutdown that ran out of time sent to the overflow queue. */
export interface SpillReport {
  /** Labels of the jobs pushed; those that were running here may run twice. */
  readonly pushed: string[];
  /** Labels of pushed jobs that were running when pushed. */
  readonly wereRunning: string[];
  /** The overflow connection's name, when there is one. */
  readonly connection: string | undefined;
  /** The running steps that were pushed. */
  readonly pushedRunning: ReadonlySet<Step | undefined>;
}

// How long one turn of the pump may start callbacks before it lets the event loop poll for I/O.
const SLICE_MS = 1;
// While the loop lags, one callback starts per this many milliseconds, so the backlog still moves.
const HOLD_MS = 10;
// An over-the-limit backlog is reported at most this often.
const REPORT_EVERY_MS = 1000;

/**
 * Starts the after-response work of every HTTP scope of one application, requests first: a
 * callback starts in the event loop's check phase (`setImmediate`), after the I/O that was
 * waiting has been served, and one turn starts callbacks for at most ~1 ms before it lets the
 * loop poll again, so a request waits at most for the callback that is running, never for the
 * backlog. While the loop lags more than `maxLagMs`, new starts are held to one per 10 ms. At
 * most `concurrency` callbacks run at once; beyond `maxPending` waiting ones, jobs that can be
 * queued go to the `overflow` connection instead of waiting in memory.
 *
 * A scope's callbacks still run in order (terminable middleware, deferred, then terminating),
 * each once and isolated. Get it as `app.afterResponse`.
 *
 * @example
 * const app = new Application({ afterResponse: { concurrency: 32, maxPending: 5000, overflow: 'redis' } });
 * app.afterResponse.stats(); // { running, pending, completed, failed, overflowed }
 */
export class AfterResponseGovernor {
  /** How many callbacks may run at once. */
  readonly concurrency: number;
  /** How many may wait before jobs go to the overflow connection. */
  readonly maxPending: number;
  /** The queue connection jobs overflow to, if any. */
  readonly overflowConnection: string | undefined;
  /** The event-loop lag above which new starts are held. */
  readonly maxLagMs: number;

  readonly #report: ErrorReporter;
  readonly #lag: LoopLag;
  // Scopes with a step ready to start: those that went on after a step first, then the FIFO.
  readonly #continuing: GovernedWork[] = [];
  #waiting: GovernedWork[] = [];
  #head = 0;
  // Every scope the governor holds, with how many of its steps are counted in #pending.
  readonly #counted = new Map<GovernedWork, number>();
  #pending = 0;
  #running = 0;
  #completed = 0;
  #failed = 0;
  #overflowed = 0;
  #overflow: OverflowQueue | undefined;
  #pumping: 'immediate' | 'timer' | undefined;
  #lastReport = -Infinity;
  #pushFailure: unknown;

  /**
   * @param options - The limits; see `AfterResponseOptions`.
   * @param report - The application's reporter.
   * @throws {InvalidAfterResponseOptionError} When an option is out of range.
   */
  constructor(options: AfterResponseOptions | undefined, report: ErrorReporter) {
    const checked = checkAfterResponseOptions(options);
    this.concurrency = checked.concurrency;
    this.maxPending = checked.maxPending;
    this.overflowConnection = checked.overflow;
    this.maxLagMs = checked.maxLagMs;
    this.#report = report;
    this.#lag = new LoopLag(checked.maxLagMs);
    watchGovernor(this);
  }

  /** Whether the backlog is over `maxPending`: plug it into a health check, or let an adapter answer 503. */
  get overloaded(): boolean {
    return this.#pending > this.maxPending;
  }

  /** The counts of after-response callbacks now, all scopes together. */
  stats(): AfterResponseStats {
    return {
      running: this.#running,
      pending: this.#pending,
      completed: this.#completed,
      failed: this.#failed,
      overflowed: this.#overflowed,
    };
  }

  /**
   * Sets where jobs overflow to; @epilogue/queue's `configureQueues()` calls it.
   * @internal
   */
  useOverflow(queue: OverflowQueue | undefined): void {
    this.#overflow = queue;
  }

  /**
   * Stops sampling the event loop's lag; the end of `app.shutdown()` calls it. Work admitted
   * later still runs (and starts the sampling again).
   * @internal
   */
  stop(): void {
    this.#lag.stop();
  }

  /**
   * Takes an ended scope's work: it will start through the pump.
   * @internal
   */
  admit(work: GovernedWork): void {
    this.#count(work);
    if (this.#pending > this.maxPending) {
      const pushes = this.#relieve(work);
      // Everything went to the overflow queue: the scope is held only until its pushes settle,
      // never in the FIFO behind the backlog (it would keep every overflowed scope in memory
      // until the pump reached it).
      if (pushes.length > 0 && work.pendingSteps === 0) {
        void Promise.all(pushes).then(() => this.#afterPushes(work));
        return;
      }
    }
    this.#enqueue(work);
  }

  /**
   * Recounts a held scope whose waiting work changed (a callback registered after it ended).
   * @internal
   */
  changed(work: GovernedWork): void {
    if (this.#counted.has(work)) this.#count(work);
  }

  /**
   * Sends the waiting jobs of `scopes`, and the jobs they are running, to the overflow
   * connection: what a shutdown does when it runs out of time. Jobs pushed do not start here.
   * @internal
   */
  async spill(scopes: Iterable<GovernedWork>): Promise<SpillReport> {
    const overflow = this.#overflow;
    const report = {
      pushed: [] as string[],
      wereRunning: [] as string[],
      connection: overflow?.connection,
      pushedRunning: new Set<Step | undefined>(),
    };
    if (overflow === undefined) return report;
    const pushes: Promise<void>[] = [];
    for (const scope of scopes) {
      const running = scope.runningStep;
      if (running?.work !== undefined && overflow.accepts(running.work)) {
        pushes.push(this.#push(overflow, running, report, true));
      }
      for (const step of scope.takeQueueable(overflow.accepts)) pushes.push(this.#push(overflow, step, report, false));
      this.changed(scope);
    }
    await Promise.all(pushes);
    return report;
  }

  async #push(overflow: OverflowQueue, step: Step, report: SpillReport, wasRunning: boolean): Promise<void> {
    try {
      await overflow.push(step.work as object);
      this.#overflowed++;
      report.pushed.push(step.label);
      if (wasRunning) {
        report.wereRunning.push(step.label);
        (report.pushedRunning as Set<Step>).add(step);
      }
    } catch (error) {
      this.#report(error, { phase: 'overflow', scope: 'root', callback: step.label, connection: overflow.connection });
    }
  }

  #enqueue(work: GovernedWork): void {
    this.#waiting.push(work);
    this.#schedule();
  }

  // A scope whose jobs all went to the overflow queue: it ends, unless a push failed (the job was
  // put back) or work was registered meanwhile; then it waits its turn like any other.
  #afterPushes(work: GovernedWork): void {
    if (work.pendingSteps > 0) {
      this.#count(work);
      this.#enqueue(work);
    } else {
      this.#leave(work);
    }
  }

  #count(work: GovernedWork): void {
    const steps = work.pendingSteps;
    this.#pending += steps - (this.#counted.get(work) ?? 0);
    this.#counted.set(work, steps);
  }

  // Over the limit: the scope's queueable jobs go to the overflow connection; what cannot be
  // queued stays and runs here, and the backlog is reported (at most once a second).
  // Returns the pushes, which never reject.
  #relieve(work: GovernedWork): Promise<void>[] {
    const overflow = this.#overflow;
    let kept = work.pendingSteps;
    const pushes: Promise<void>[] = [];
    if (overflow !== undefined) {
      const steps = work.takeQueueable(overflow.accepts);
      this.#count(work);
      kept = work.pendingSteps;
      for (const step of steps) {
        pushes.push(
          overflow.push(step.work as object).then(
            () => void this.#overflowed++,
            (error: unknown) => {
              // Not lost: it runs here after all (the scope takes it back as late work).
              this.#pushFailure = error;
              work.putBack(step);
            },
          ),
        );
      }
    }
    if (kept > 0 || this.#pushFailure !== undefined) this.#reportBacklog();
    return pushes;
  }

  #reportBacklog(): void {
    const now = performance.now();
    if (now - this.#lastReport < REPORT_EVERY_MS) return;
    this.#lastReport = now;
    const connection = this.#overflow?.connection;
    const named = connection === undefined ? this.overflowConnection : undefined;
    const error = AfterResponseOverloadedError.backlog(this.#pending, this.maxPending, connection, this.#pushFailure, named);
    this.#pushFailure = undefined;
    this.#report(error, { phase: 'after-response', scope: 'root', ...this.stats() });
  }

  #schedule(): void {
    if (this.#pumping === 'immediate') return;
    if (this.#lag.lagging) {
      if (this.#pumping === undefined) {
        this.#pumping = 'timer';
        setTimeout(this.#pump, HOLD_MS);
      }
      return;
    }
    // A held pump is overtaken by an immediate one once the loop has caught up.
    this.#pumping = 'immediate';
    setImmediate(this.#pump);
  }

  readonly #pump = (): void => {
    this.#pumping = undefined;
    const started = performance.now();
    while (this.#running < this.concurrency) {
      const work = this.#next();
      if (work === undefined) break;
      const step = work.takeStep();
      if (step === undefined) {
        this.#leave(work);
        continue;
      }
      this.#count(work);
      this.#start(work, step);
      if (this.#lag.lagging || performance.now() - started >= SLICE_MS) break;
    }
    if (this.#counted.size === 0) this.#lag.stop();
    else this.#lag.start();
    if (this.#running < this.concurrency && this.#hasReady()) this.#schedule();
  };

  #start(work: GovernedWork, step: Step): void {
    this.#running++;
    void work.runStep(step).then((succeeded) => {
      this.#running--;
      if (succeeded) this.#completed++;
      else this.#failed++;
      if (work.pendingSteps > 0) this.#continuing.push(work);
      else this.#leave(work);
      if (this.#hasReady()) this.#schedule();
    });
  }

  #leave(work: GovernedWork): void {
    this.#pending -= this.#counted.get(work) ?? 0;
    this.#counted.delete(work);
    work.settled();
  }

  #next(): GovernedWork | undefined {
    const continuing = this.#continuing.shift();
    if (continuing !== undefined) return continuing;
    if (this.#head >= this.#waiting.length) return undefined;
    const work = this.#waiting[this.#head++];
    // Drop the consumed front now and then, so the array does not keep every scope it ever held.
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    return work;
  }

  #hasReady(): boolean {
    return this.#continuing.length > 0 || this.#head < this.#waiting.length;
  }
}
