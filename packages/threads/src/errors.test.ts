import * as threads from '@epilogue/threads';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

describe('errors', () => {
  it('every exported error extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(threads, {
      E_INVALID_THREADS_OPTION: [
        threads.InvalidThreadsOptionError.forOption('size', 'a whole number ≥ 1', 0),
        threads.InvalidThreadsOptionError.noModule('./jobs.js', '/app/jobs.js'),
      ],
      E_THREAD_CRASHED: [threads.ThreadCrashedError.during('job-1', new Error('exited with code 1'))],
      E_THREAD_MODULE_CONNECTION: [threads.ThreadModuleError.noConnection('/app/jobs.js', 'threads', 'none')],
      E_THREADS_NOT_MAIN_THREAD: [threads.NotOnMainThreadError.cannot('close the pool')],
      E_THREADS_JOBS_LEFT: [threads.JobsLeftOnCloseError.count('threads', new Map([['default', 2]]))],
    });
  });
});
