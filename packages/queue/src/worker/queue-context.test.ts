import { MemoryAtomicStore } from '../atomics/memory-atomic-store.js';
import { AttemptContext } from './queue-context.js';

const where = { id: 'j1', connection: 'memory', queue: 'default', attempts: 1 };

describe('AttemptContext signal', () => {
  it('is aborted when read after the attempt was abandoned', () => {
    const context = new AttemptContext('Job', where, new MemoryAtomicStore());
    context.close(true);
    expect(context.signal.aborted).toBe(true);
  });

  it('aborts a signal read during the attempt once it is abandoned, and not when it ended', () => {
    const abandoned = new AttemptContext('Job', where, new MemoryAtomicStore());
    const signal = abandoned.signal;
    expect(signal.aborted).toBe(false);
    abandoned.close(true);
    expect(signal.aborted).toBe(true);
    const ended = new AttemptContext('Job', where, new MemoryAtomicStore());
    ended.close(false);
    expect(ended.signal.aborted).toBe(false);
  });
});
