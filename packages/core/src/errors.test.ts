import * as core from '@epilogue/core';

describe('errors', () => {
  it('every exported error extends EpilogueError and has a distinct E_ code', () => {
    const made = [
      new core.NoApplicationError(),
      core.InvalidPipeError.forPipe(1, 'handle'),
      core.NextCalledTwiceError.inPipe('p'),
      core.ShutdownTimeoutError.after(1, []),
      core.InvalidCallbackError.forRegistration('defer', 1),
      core.InvalidExitCodeError.forValue(1.5),
      core.AfterResponseOverloadedError.backlog(2, 1, undefined),
      core.InvalidAfterResponseOptionError.forOption('concurrency', 'a whole number', 0),
      core.InvalidShedLoadOptionError.forValue('yes'),
      core.CloseTimeoutError.forResource('a pool'),
      core.DuplicateCoreError.loaded(['0.1.0', '0.2.0']),
      core.PendingAtExitError.forWork(['SendDigest']),
    ];
    for (const error of made) {
      expect(error).toBeInstanceOf(core.EpilogueError);
      expect(error.code).toMatch(/^E_[A-Z_]+$/);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(new Set(made.map((error) => error.code)).size).toBe(made.length);
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new core.EpilogueError('E_X', 'message', { cause }).cause).toBe(cause);
  });
});
