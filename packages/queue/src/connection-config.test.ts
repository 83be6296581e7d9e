import { Application } from '@epilogue/core';
import { configureQueues, InvalidQueueConfigError, MemoryDriver } from '@epilogue/queue';

describe('connections given with settings ({ driver, afterCommit })', () => {
  it('uses the driver, and refuses an afterCommit that is not a boolean', () => {
    const driver = new MemoryDriver();
    const manager = configureQueues(new Application(), {
      default: 'held',
      connections: { held: { driver, afterCommit: true } },
    });
    expect(manager.driver('held')).toBe(driver);
    expect(() =>
      configureQueues(new Application(), {
        default: 'held',
        connections: { held: { driver, afterCommit: 'yes' as unknown as boolean } },
      }),
    ).toThrow(InvalidQueueConfigError);
    expect(() =>
      configureQueues(new Application(), {
        default: 'held',
        connections: { held: { driver, afterCommit: 'yes' as unknown as boolean } },
      }),
    ).toThrow('The connection "held" has afterCommit string yes; it must be true or false.');
  });
});
