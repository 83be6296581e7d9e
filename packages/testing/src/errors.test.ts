import { EpilogueError } from '@epilogue/core';
import * as testing from '@epilogue/testing';

describe('errors', () => {
  it('every exported error extends EpilogueError with an E_ code, one code per condition', () => {
    const made: EpilogueError[] = [
      testing.FakeAlreadyInstalledError.forFake('fakeBus'),
      testing.InvalidFakeOptionError.forOption('fakeBus', 'only', 1),
      testing.InvalidExpectationError.forArgument('assertDispatched', 'a class', 1),
      testing.TerminateTimeoutError.after('GET /', 10, 1),
      testing.TerminateTimeoutError.waiting(10, 1),
      testing.TestRequestFailedError.for('GET /', new Error('reset')),
      testing.InvalidRequestTargetError.forTarget(1),
      new testing.NoAfterEachError(),
    ];
    for (const error of made) {
      expect(error).toBeInstanceOf(EpilogueError);
      expect(error.code).toMatch(/^E_[A-Z_]+$/);
      expect(error.name).toBe(error.constructor.name);
    }
    // One code per condition: both timeouts are the same condition.
    expect(new Set(made.map((error) => error.code)).size).toBe(made.length - 1);
    const exported = Object.entries(testing).filter(([name]) => name.endsWith('Error'));
    expect(new Set(made.map((error) => error.constructor))).toEqual(new Set(exported.map(([, value]) => value)));
  });

  it('keeps the cause of a failed request', () => {
    const cause = new Error('socket hang up');
    expect(testing.TestRequestFailedError.for('GET /', cause).cause).toBe(cause);
  });
});
