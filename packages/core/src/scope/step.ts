/** Which part of a scope's end a step belongs to; it is also the `phase` of its error reports. */
export type StepPhase = 'terminable-middleware' | 'deferred' | 'terminating';

/**
 * One callback of a scope's end: a terminable middleware, a deferred callback or a terminating
 * callback (an after-response job is one). Steps of one scope run one after another, in order.
 */
export interface Step {
  /** Where the step belongs, for ordering and reports. */
  readonly phase: StepPhase;
  /** A readable name for reports (a job's class name, a deferred callback's name...). */
  readonly label: string;
  /**
   * The job behind the step, when it is one (`dispatchAfterResponse`): the governor may send it
   * to the overflow queue instead of running it here.
   */
  readonly work?: object;
  /** Runs the step; may return a promise. */
  call(): unknown;
}

/**
 * What a step rejects with when it has reported its own failure already (the bus reports a
 * failed after-response job in the shape of any failed job): the scope counts the step as
 * failed without reporting it a second time.
 * @internal
 */
export class ReportedFailure {
  /** @param error - The failure that was reported. */
  constructor(readonly error: unknown) {}
}
