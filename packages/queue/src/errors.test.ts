import * as queue from '@epilogue/queue';
import * as cli from '@epilogue/queue/cli';
import * as driver from '@epilogue/queue/driver';
import * as testing from '@epilogue/queue/testing';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

// Loading an app module fails the same way for the CLI and for a driver that loads the app in
// another thread: both entry points export AppModuleError.
const appModuleCodes = {
  E_APP_MODULE_NOT_FOUND: [cli.AppModuleError.notFound('app.js', '/app.js')],
  E_APP_MODULE_FAILED: [cli.AppModuleError.failed('/app.js', new Error('x'))],
  E_APP_MODULE_NO_APPLICATION: [cli.AppModuleError.noApplication('/app.js', [])],
  E_APP_PACKAGE_JSON_INVALID: [cli.AppModuleError.invalidPackageJson('/package.json', 'x')],
} as const;

describe('errors', () => {
  it('every error of the main entry point extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(queue, {
      E_JOB_NOT_SERIALIZABLE: [queue.JobNotSerializableError.at('Job', 'a.b', 'is a function')],
      E_JOB_NOT_REGISTERED: [queue.JobNotRegisteredError.forClass('Job')],
      E_DUPLICATE_JOB_NAME: [queue.DuplicateJobNameError.forName('n', 'A', 'B'), queue.DuplicateJobNameError.forClass('A', 'a', 'b')],
      E_PAYLOAD_MALFORMED: [queue.InvalidPayloadError.malformed('x')],
      E_PAYLOAD_VERSION: [queue.InvalidPayloadError.unsupportedVersion(2)],
      E_PAYLOAD_UNKNOWN_JOB: [queue.InvalidPayloadError.unknownJob('n', 'job')],
      E_PAYLOAD_FORBIDDEN_KEY: [queue.InvalidPayloadError.forbiddenKey('__proto__', 'data')],
      E_PAYLOAD_TOO_LARGE: [queue.InvalidPayloadError.tooLarge(2, 1)],
      E_PAYLOAD_SIGNATURE: [queue.InvalidPayloadError.badSignature('x')],
      E_INVALID_JOB_OPTION: [queue.InvalidJobOptionError.forOption('Job', 'tries', 'a number', 'x')],
      E_INVALID_JOB_PROGRESS: [queue.InvalidJobProgressError.forValue('Job', 101)],
      E_MAX_ATTEMPTS_EXCEEDED: [queue.MaxAttemptsExceededError.forJob('Job', 2), queue.MaxAttemptsExceededError.expired('Job', 2, new Date(0))],
      E_JOB_TIMED_OUT: [queue.JobTimedOutError.after('Job', 1)],
      E_JOB_MARKED_FAILED: [queue.JobMarkedFailedError.forJob('Job')],
      E_QUEUES_NOT_CONFIGURED: [new queue.QueuesNotConfiguredError()],
      E_UNKNOWN_CONNECTION: [queue.UnknownConnectionError.named('x', [])],
      E_INVALID_QUEUE_CONFIG: [queue.InvalidQueueConfigError.because('x')],
      E_NO_CONSUMER: [queue.NoConsumerError.forDriver('SyncDriver')],
      E_DRIVER_UNSUPPORTED: [queue.DriverCapabilityError.missing('WorkerThreadsDriver', 'threads', 'clear()', 'delete the waiting jobs of a queue')],
      E_DRIVER_CLOSED: [queue.DriverClosedError.forDriver('MemoryDriver')],
      E_QUEUE_UNAVAILABLE: [queue.QueueUnavailableError.unreachable('BullMQDriver', 'Redis at 127.0.0.1:6379', 5000)],
      E_FAILED_JOB_NOT_FOUND: [queue.FailedJobNotFoundError.withId('x')],
      E_WORKER_STOP_TIMEOUT: [queue.WorkerStopTimeoutError.after(1, ['a'])],
      E_WORKER_STARTED: [new queue.WorkerAlreadyStartedError()],
      E_INVALID_JOB_MIDDLEWARE: [queue.InvalidJobMiddlewareError.forOption('WithoutOverlapping', 'releaseAfter', 'seconds ≥ 0', -1)],
      E_RATE_LIMITER_NOT_FOUND: [queue.RateLimiterNotFoundError.named('backups', [])],
      E_INVALID_RATE_LIMIT: [queue.InvalidRateLimitError.because('x')],
    });
  });

  it('the CLI entry point exports the errors of the command line and of loading the app module', () => {
    expectErrorRegistry(cli, {
      E_CLI_UNKNOWN_COMMAND: [cli.CliUsageError.unknownCommand('x', ['queue:work'])],
      E_CLI_MISSING_APP: [cli.CliUsageError.missingApp('queue:work')],
      E_CLI_INVALID_OPTION: [cli.CliUsageError.invalidOption('--concurrency', 'a whole number', 'x')],
      E_CLI_INVALID_ARGUMENTS: [cli.CliUsageError.invalidArguments('queue:work', 'x')],
      E_WORKER_INTERRUPTED: [cli.WorkerInterruptedError.bySignal('SIGINT', ['a'])],
      ...appModuleCodes,
    });
  });

  it('the driver entry point exports the error of loadAppModule(), the same class as the CLI', () => {
    expectErrorRegistry(driver, appModuleCodes);
    expect(driver.AppModuleError).toBe(cli.AppModuleError);
  });

  it('the testing entry point exports the error of the conformance suites', () => {
    expectErrorRegistry(testing, { E_NO_TEST_RUNNER: [new testing.NoTestRunnerError()] });
  });

  it('keeps the cause of a malformed payload', () => {
    const cause = new SyntaxError('bad json');
    expect(queue.InvalidPayloadError.malformed('x', cause).cause).toBe(cause);
  });

  it('formats errors for the failed store with their code', () => {
    const text = driver.formatException(queue.JobMarkedFailedError.forJob('Job'));
    expect(text).toMatch(/^\[E_JOB_MARKED_FAILED\] JobMarkedFailedError: Job marked itself as failed\./);
    expect(driver.formatException('a string')).toBe('Non-error thrown: a string');
  });
});
