import { EpilogueError } from '@epilogue/core';
import * as queue from '@epilogue/queue';

describe('errors', () => {
  it('every exported error extends EpilogueError with an E_ code, one code per condition', () => {
    const made: EpilogueError[] = [
      queue.JobNotSerializableError.at('Job', 'a.b', 'is a function'),
      queue.JobNotRegisteredError.forClass('Job'),
      queue.DuplicateJobNameError.forName('n', 'A', 'B'),
      queue.InvalidPayloadError.malformed('x'),
      queue.InvalidPayloadError.unsupportedVersion(2),
      queue.InvalidPayloadError.unknownJob('n', 'job'),
      queue.InvalidPayloadError.forbiddenKey('__proto__', 'data'),
      queue.InvalidPayloadError.tooLarge(2, 1),
      queue.InvalidPayloadError.badSignature('x'),
      queue.InvalidJobOptionError.forOption('Job', 'tries', 'a number', 'x'),
      queue.MaxAttemptsExceededError.forJob('Job', 2),
      queue.JobTimedOutError.after('Job', 1),
      queue.JobMarkedFailedError.forJob('Job'),
      new queue.QueuesNotConfiguredError(),
      queue.UnknownConnectionError.named('x', []),
      queue.InvalidQueueConfigError.because('x'),
      queue.NoConsumerError.forDriver('SyncDriver'),
      queue.DriverClosedError.forDriver('MemoryDriver'),
      queue.QueueUnavailableError.unreachable('BullMQDriver', 'Redis at 127.0.0.1:6379', 5000),
      queue.FailedJobNotFoundError.withId('x'),
      queue.WorkerStopTimeoutError.after(1, ['a']),
      new queue.WorkerAlreadyStartedError(),
      new queue.NoTestRunnerError(),
      queue.InvalidJobMiddlewareError.forOption('WithoutOverlapping', 'releaseAfter', 'seconds ≥ 0', -1),
      queue.RateLimiterNotFoundError.named('backups', []),
      queue.InvalidRateLimitError.because('x'),
      queue.CliUsageError.unknownCommand('x', ['queue:work']),
      queue.CliUsageError.missingApp('queue:work'),
      queue.CliUsageError.invalidOption('--concurrency', 'a whole number', 'x'),
      queue.CliUsageError.invalidArguments('queue:work', 'x'),
      queue.AppModuleError.notFound('app.js', '/app.js'),
      queue.AppModuleError.failed('/app.js', new Error('x')),
      queue.AppModuleError.noApplication('/app.js', []),
      queue.AppModuleError.invalidPackageJson('/package.json', 'x'),
      queue.WorkerInterruptedError.bySignal('SIGINT', ['a']),
    ];
    for (const error of made) {
      expect(error).toBeInstanceOf(EpilogueError);
      expect(error.code).toMatch(/^E_[A-Z_]+$/);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(new Set(made.map((error) => error.code)).size).toBe(made.length);
    const exported = Object.entries(queue).filter(([name]) => name.endsWith('Error'));
    expect(new Set(made.map((error) => error.constructor))).toEqual(new Set(exported.map(([, value]) => value)));
  });

  it('keeps the cause of a malformed payload', () => {
    const cause = new SyntaxError('bad json');
    expect(queue.InvalidPayloadError.malformed('x', cause).cause).toBe(cause);
  });

  it('formats errors for the failed store with their code', () => {
    const text = queue.formatException(queue.JobMarkedFailedError.forJob('Job'));
    expect(text).toMatch(/^\[E_JOB_MARKED_FAILED\] JobMarkedFailedError: Job marked itself as failed\./);
    expect(queue.formatException('a string')).toBe('Non-error thrown: a string');
  });
});
