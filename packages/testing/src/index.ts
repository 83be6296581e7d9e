/**
 * Testing helpers for Epilogue: fakes that record what the bus dispatches, what the queues
 * receive and which events are dispatched, instead of running it; assertions that fail with a
 * `node:assert` `AssertionError` listing what happened instead (so they work under any runner);
 * and an HTTP test client that resolves once a request's after-response work has run.
 *
 * @module
 * @example
 * import { fakeBus, request } from '@epilogue/testing';
 * import { useFakes } from '@epilogue/testing/jest';
 *
 * useFakes();
 *
 * it('sends the welcome email after the response', async () => {
 *   const bus = fakeBus(app);
 *   await request(app, createRequestListener(app, routes)).post('/register', { email: 'ada@example.com' });
 *   bus.assertDispatchedAfterResponse(SendWelcomeEmail, (job) => job.email === 'ada@example.com');
 * });
 */
export type { ChainEntry } from './assertions/chains.js';
export type { AnyClass, Expectation, Predicate } from './assertions/records.js';
export type { BusFake, ChainRecord, DispatchedJob, DispatchMethod } from './bus/bus-fake.js';
export type { FakeBatches, PendingBatchRecord } from './bus/fake-batches.js';
export { fakeBus } from './bus/fake-bus.js';
export type { FakeBusOptions } from './bus/fake-bus.js';
export { withDefer, withoutDefer } from './defer/without-defer.js';
export type { DispatchedEvent, EventFake, EventMatch, EventMethod } from './events/event-fake.js';
export { fakeEvents } from './events/fake-events.js';
export type { FakeEventsOptions } from './events/fake-events.js';
export {
  FakeAlreadyInstalledError,
  InvalidExpectationError,
  InvalidFakeOptionError,
  InvalidRequestTargetError,
  NoAfterEachError,
  TerminateTimeoutError,
  TestRequestFailedError,
} from './errors.js';
export { request } from './http/test-client.js';
export type { RequestClientOptions, TestClient, TestRequestOptions } from './http/test-client.js';
export type { TestResponse } from './http/test-response.js';
export type { FastifyLike, FetchTarget, RequestListener, RequestTarget } from './http/transport.js';
export { whenIdle } from './http/when-idle.js';
export type { WhenIdleOptions } from './http/when-idle.js';
export { fakeQueue } from './queue/fake-queue.js';
export type { FailedPush, QueueFake } from './queue/queue-fake.js';
export type { PushedJob } from './queue/round-trip.js';
export { restoreFakes } from './support/fakes.js';
export type { Restorable } from './support/fakes.js';
export type { FakeOptions } from './support/job-filter.js';
