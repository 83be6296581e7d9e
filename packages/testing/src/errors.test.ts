import * as testing from '@epilogue/testing';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

describe('errors', () => {
  it('every exported error extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(testing, {
      E_FAKE_ALREADY_INSTALLED: [testing.FakeAlreadyInstalledError.forFake('fakeBus')],
      E_INVALID_FAKE_OPTION: [testing.InvalidFakeOptionError.forOption('fakeBus', 'only', 1)],
      E_INVALID_EXPECTATION: [testing.InvalidExpectationError.forArgument('assertDispatched', 'a class', 1)],
      // Both timeouts are one condition: after-response work that never finished.
      E_TERMINATE_TIMEOUT: [testing.TerminateTimeoutError.after('GET /', 10, 1), testing.TerminateTimeoutError.waiting(10, 1)],
      E_TEST_REQUEST_FAILED: [testing.TestRequestFailedError.for('GET /', new Error('reset'))],
      E_INVALID_REQUEST_TARGET: [testing.InvalidRequestTargetError.forTarget(1)],
      E_NO_AFTER_EACH: [new testing.NoAfterEachError()],
    });
  });

  it('keeps the cause of a failed request', () => {
    const cause = new Error('socket hang up');
    expect(testing.TestRequestFailedError.for('GET /', cause).cause).toBe(cause);
  });
});
