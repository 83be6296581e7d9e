import * as events from '@epilogue/events';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

describe('errors', () => {
  it('every exported error extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(events, {
      E_INVALID_EVENT: [events.InvalidEventError.forDispatch(42)],
      E_INVALID_EVENT_KEY: [events.InvalidEventError.forListen(42)],
      E_INVALID_LISTENER: [events.InvalidListenerError.forValue('OrderShipped', 42)],
      E_QUEUED_LISTENER_INSTANCE: [events.InvalidListenerError.queuedInstance('OrderShipped', 'SendEmail')],
      E_LISTENER_NOT_QUEUEABLE: [events.InvalidListenerError.notQueueable('OrderShipped', () => undefined)],
      E_LISTENER_METHOD_MISSING: [events.InvalidListenerError.missingMethod('OrderShipped', 'Notifications', 'onShipped')],
      E_ANONYMOUS_LISTENER: [events.InvalidListenerError.anonymous('OrderShipped')],
      E_INVALID_LISTEN_OPTION: [events.InvalidListenerError.forOption('sequential', 'a boolean', 'yes')],
      E_INVALID_SUBSCRIBER: [
        events.InvalidSubscriberError.forValue({}),
        events.InvalidSubscriberError.missingMethod('OrderSubscriber', 'onShipped'),
        events.InvalidSubscriberError.ambiguousPair('OrderSubscriber', 'Notifications', 'onShipped'),
        events.InvalidSubscriberError.returnedPromise('OrderSubscriber'),
        events.InvalidSubscriberError.returnedList('OrderSubscriber'),
      ],
      E_EVENT_NOT_REGISTERED: [events.EventNotRegisteredError.forClass('OrderShipped')],
      E_EVENT_NOT_SERIALIZABLE: [events.EventNotSerializableError.at('OrderShipped', 'the listener SendEmail', 'socket', new Error('x'))],
      E_INVALID_LISTENER_OPTION: [
        events.InvalidQueuedOptionError.forListener('SendEmail', new Error('CallQueuedListener.tries must be a number')),
      ],
      E_INVALID_EVENT_OPTION: [
        events.InvalidQueuedOptionError.forEvent('OrderShipped', new Error('DispatchQueuedEvent.tries must be a number')),
      ],
      E_DUPLICATE_LISTENER_NAME: [events.DuplicateListenerNameError.forName('SendEmail', 'SendEmail', 'SendEmail')],
      E_LISTENER_NOT_REGISTERED: [events.ListenerNotRegisteredError.named('SendEmail')],
    });
  });

  it('names the option, not the job class that carries it, and keeps the cause', () => {
    const cause = new Error('CallQueuedListener.tries must be a whole number ≥ 0 (0: no limit); got number -1.');
    const error = events.InvalidQueuedOptionError.forListener('SendEmail', cause);
    expect(error.message).toBe(
      'The queued listener SendEmail has an unusable option: tries must be a whole number ≥ 0 (0: no limit); ' +
        'got number -1. Fix the option (field or method) on SendEmail.',
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
