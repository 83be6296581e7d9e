import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import {
  DuplicateJobNameError,
  InvalidQueueConfigError,
  JobNotRegisteredError,
  jobRegistry,
  registerJobs,
} from '@epilogue/queue';

@ShouldQueue()
class MarkedJob extends Job {}

@ShouldQueue()
class MarkedWithName extends Job {
  static jobName = 'reports.marked';
}

// Two marked classes that share a class name, as in two modules that both export `Twin`.
const TwinA = (() => {
  @ShouldQueue()
  class Twin extends Job {}
  return Twin;
})();
const TwinB = (() => {
  @ShouldQueue()
  class Twin extends Job {}
  return Twin;
})();

function registry() {
  return jobRegistry(new Application({ report: () => undefined }));
}

describe('JobRegistry', () => {
  it('knows @ShouldQueue() classes by class name, or by their static jobName, without set-up', () => {
    const jobs = registry();
    expect(jobs.nameOf(MarkedJob)).toBe('MarkedJob');
    expect(jobs.classFor('MarkedJob')).toBe(MarkedJob);
    expect(jobs.nameOf(MarkedWithName)).toBe('reports.marked');
    expect(jobs.classFor('reports.marked')).toBe(MarkedWithName);
    expect(jobs.classFor('MarkedWithName')).toBeUndefined();
  });

  it('is one per application', () => {
    const app = new Application({ report: () => undefined });
    expect(jobRegistry(app)).toBe(jobRegistry(app));
    class Local extends Job {}
    registerJobs(app, [Local]);
    expect(jobRegistry(app).has(Local)).toBe(true);
    expect(registry().has(Local)).toBe(false);
  });

  it('registers classes from a list and under explicit names', () => {
    const app = new Application({ report: () => undefined });
    class Listed extends Job {}
    class Named extends Job {}
    registerJobs(app, [Listed]);
    registerJobs(app, { 'billing.named': Named });
    const jobs = jobRegistry(app);
    expect(jobs.nameOf(Listed)).toBe('Listed');
    expect(jobs.nameOf(Named)).toBe('billing.named');
    expect(jobs.classFor('billing.named')).toBe(Named);
    expect(jobs.classFor('Named')).toBeUndefined();
  });

  it('accepts registering the same class under the same name twice', () => {
    const app = new Application({ report: () => undefined });
    class Again extends Job {}
    registerJobs(app, [Again]);
    expect(() => registerJobs(app, [Again])).not.toThrow();
  });

  it('refuses two classes under one name, and one class under two names', () => {
    const app = new Application({ report: () => undefined });
    const first = class Same extends Job {};
    const second = class Same extends Job {};
    registerJobs(app, [first]);
    expect(() => registerJobs(app, [second])).toThrow(DuplicateJobNameError);
    expect(() => registerJobs(app, { other: first })).toThrow(DuplicateJobNameError);
  });

  it('refuses to guess between @ShouldQueue() classes that share a name, until one is named', () => {
    const app = new Application({ report: () => undefined });
    const jobs = jobRegistry(app);
    expect(() => jobs.classFor('Twin')).toThrow(DuplicateJobNameError);
    expect(() => jobs.nameOf(TwinA)).toThrow(expect.objectContaining({ code: 'E_DUPLICATE_JOB_NAME' }));
    registerJobs(app, { 'twins.b': TwinB });
    expect(jobs.classFor('Twin')).toBe(TwinA);
    expect(jobs.nameOf(TwinA)).toBe('Twin');
    expect(jobs.nameOf(TwinB)).toBe('twins.b');
  });

  it('does not register subclasses of a marked class by inheritance', () => {
    class Sub extends MarkedJob {}
    expect(() => registry().nameOf(Sub)).toThrow(JobNotRegisteredError);
  });

  it('refuses values that are not classes, and anonymous classes without a name', () => {
    const app = new Application({ report: () => undefined });
    expect(() => registerJobs(app, [42 as never])).toThrow(InvalidQueueConfigError);
    const anonymous = (() => class extends Job {})();
    expect(() => registerJobs(app, [anonymous])).toThrow(InvalidQueueConfigError);
    expect(() => registerJobs(app, { named: anonymous })).not.toThrow();
  });
});
