import * as core from '@epilogue/core';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

describe('errors', () => {
  it('every exported error extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(core, {
      E_NO_APPLICATION: [new core.NoApplicationError()],
      E_INVALID_PIPE: [core.InvalidPipeError.forPipe(1, 'handle')],
      E_NEXT_CALLED_TWICE: [core.NextCalledTwiceError.inPipe('p')],
      E_SHUTDOWN_TIMEOUT: [core.ShutdownTimeoutError.after(1, [])],
      E_INVALID_CALLBACK: [core.InvalidCallbackError.forRegistration('defer', 1)],
      E_INVALID_EXIT_CODE: [core.InvalidExitCodeError.forValue(1.5)],
      E_AFTER_RESPONSE_OVERLOADED: [core.AfterResponseOverloadedError.backlog(2, 1, undefined)],
      E_INVALID_AFTER_RESPONSE_OPTION: [core.InvalidAfterResponseOptionError.forOption('concurrency', 'a whole number', 0)],
      E_INVALID_SHED_LOAD_OPTION: [core.InvalidShedLoadOptionError.forValue('yes')],
      E_CLOSE_TIMEOUT: [core.CloseTimeoutError.forResource('a pool')],
      E_DUPLICATE_CORE: [core.DuplicateCoreError.loaded(['0.1.0', '0.2.0'])],
      E_PENDING_AT_EXIT: [core.PendingAtExitError.forWork(['SendDigest'])],
      E_NO_TYPE_INFO: [core.DependencyResolutionError.noTypeInfo('Mailer', 'SendMailHandler', new Error('x'))],
    });
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new core.EpilogueError('E_X', 'message', { cause }).cause).toBe(cause);
  });
});
