/**
 * Events for Epilogue: an `EventDispatcher` per application, with listeners of event classes
 * (and their subclasses), names and wildcards; halting with `false`; `until()`; events held by
 * `defer()` or dispatched after the response; queued listeners and queued events; and
 * sequential listeners, pushed as a chain so that `false` or a failure in one stops the next.
 *
 * @module
 * @example
 * import { ShouldQueue } from '@epilogue/bus';
 * import { EventDispatcher } from '@epilogue/events';
 *
 * class RegisterReservation {
 *   constructor(public formId: number, public guestReservationId: string) {}
 * }
 *
 * \@ShouldQueue()
 * class StoreReservation {
 *   async handle(event: RegisterReservation) {
 *     if (await reservations.exists(event.guestReservationId)) return false; // stops the sequence
 *     await reservations.store(event.formId, event.guestReservationId);
 *   }
 * }
 *
 * const events = app.make(EventDispatcher);
 * events.listen(RegisterReservation, [StoreReservation, SendReservationEmail], { sequential: true });
 * await events.dispatch(new RegisterReservation(7, 'r-42'));
 */
import '@epilogue/queue';

export {
  DuplicateListenerNameError,
  EventNotRegisteredError,
  EventNotSerializableError,
  InvalidEventError,
  InvalidListenerError,
  InvalidQueuedOptionError,
  InvalidSubscriberError,
  ListenerNotRegisteredError,
} from './errors.js';
export { Dispatchable, DispatchableEvent } from './dispatchable.js';
export { EventDispatcher } from './event-dispatcher.js';
export type { ListenOptions, SubscribedListener, Subscriber, SubscriberMap } from './event-dispatcher.js';
export { eventNameOf } from './listeners/event-key.js';
export type { EventClass, EventKey } from './listeners/event-key.js';
export type { Listener, ListenerClass, ListenerFunction, ListenerMethod, ListenerObject } from './listeners/listener.js';
export { CallQueuedListener } from './queued/call-queued-listener.js';
export type { ListenerCall } from './queued/call-queued-listener.js';
export { DispatchQueuedEvent } from './queued/dispatch-queued-event.js';
export { listenerCatalog, ListenerCatalog } from './queued/listener-catalog.js';
export type { ListenerJobOptions, QueuedListenerOptions } from './queued/listener-options.js';
