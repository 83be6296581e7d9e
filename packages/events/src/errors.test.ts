import { EpilogueError } from '@epilogue/core';
import * as events from '@epilogue/events';

describe('errors', () => {
  it('every exported error extends EpilogueError with an E_ code, one code per condition', () => {
    const made: EpilogueError[] = [
      events.InvalidEventError.forDispatch(42),
      events.InvalidEventError.forListen(42),
      events.InvalidListenerError.forValue('OrderShipped', 42),
      events.InvalidListenerError.queuedInstance('OrderShipped', 'SendEmail'),
      events.InvalidListenerError.notQueueable('OrderShipped', () => undefined),
      events.InvalidListenerError.anonymous('OrderShipped'),
      events.InvalidListenerError.forOption('sequential', 'a boolean', 'yes'),
      events.InvalidSubscriberError.forValue({}),
      events.EventNotRegisteredError.forClass('OrderShipped'),
      events.EventNotSerializableError.at('OrderShipped', 'the listener SendEmail', 'socket', new Error('x')),
      events.InvalidQueuedOptionError.forListener('SendEmail', new Error('CallQueuedListener.tries must be a number')),
      events.InvalidQueuedOptionError.forEvent('OrderShipped', new Error('DispatchQueuedEvent.tries must be a number')),
      events.DuplicateListenerNameError.forName('SendEmail', 'SendEmail', 'SendEmail'),
      events.ListenerNotRegisteredError.named('SendEmail'),
    ];
    for (const error of made) {
      expect(error).toBeInstanceOf(EpilogueError);
      expect(error.code).toMatch(/^E_[A-Z_]+$/);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(new Set(made.map((error) => error.code)).size).toBe(made.length);
    const exported = Object.entries(events).filter(([name]) => name.endsWith('Error'));
    expect(new Set(made.map((error) => error.constructor))).toEqual(new Set(exported.map(([, value]) => value)));
  });

  it('names the option, not the job class that carries it, and keeps the cause', () => {
    const cause = new Error('CallQueuedListener.tries must be a whole number ≥ 0 (0: no limit); got number -1.');
    const error = events.InvalidQueuedOptionError.forListener('SendEmail', cause);
    expect(error.message).toBe(
      'The queued listener SendEmail has an unusable option: tries must be a whole number ≥ 0 (0: no limit); ' +
        'got number -1. Fix the field on SendEmail.',
    );
    expect(error.cause).toBe(cause);
  });

  it('keeps the path and the cause of an event that cannot be serialized', () => {
    const cause = new Error('not serializable');
    const error = events.EventNotSerializableError.at('OrderShipped', 'a queued event', 'customer.socket', cause);
    expect(error.path).toBe('customer.socket');
    expect(error.cause).toBe(cause);
  });
});
