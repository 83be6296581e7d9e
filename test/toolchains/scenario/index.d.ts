import type { Application } from '@epilogue/core';
import type { QueueDriver } from '@epilogue/queue';

/** Where the jobs send their mail: one per application. */
export declare class Mailer {
  sent: { to: string; subject: string; at: number }[];
  send(to: string, subject: string): Promise<void>;
}

/** The line a fixture's run prints when the scenario passed. */
export declare const PASSED: string;

/** What the scenario takes: the fixture's job classes, written in its own syntax. */
export interface ScenarioOptions {
  name: string;
  SendWelcomeEmail: { dispatchAfterResponse(user: { email: string }): unknown };
  SendInvoice: { dispatch(invoiceId: number): PromiseLike<unknown> };
  AutowireWithoutTokens?: new () => object;
  autowireWithoutTokens?: 'resolves' | 'E_NO_DECORATOR_METADATA';
  driver?: (app: Application) => QueueDriver;
}

/** Runs the after-response and the queued job; rejects with what went wrong. */
export declare function runScenario(options: ScenarioOptions): Promise<{ name: string; afterResponseMs: number; workerJobs: number; autowire: string }>;
