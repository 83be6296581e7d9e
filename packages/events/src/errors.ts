import { describeValue, EpilogueError } from '@epilogue/core';

/** Thrown when something that is neither an event object nor an event name is dispatched or listened to. */
export class InvalidEventError extends EpilogueError {
  /** @param value - What was dispatched. */
  static forDispatch(value: unknown): InvalidEventError {
    return new InvalidEventError(
      'E_INVALID_EVENT',
      `Only an event object (an instance of an event class) or an event name can be dispatched; got ` +
        `${describeValue(value)}. Dispatch new OrderShipped(orderId), or a name with a payload: ` +
        `dispatch('orders.shipped', { orderId }).`,
    );
  }

  /** @param value - What was given to `listen()` or `forget()` as the event. */
  static forListen(value: unknown): InvalidEventError {
    return new InvalidEventError(
      'E_INVALID_EVENT_KEY',
      `listen() takes an event class, an event name ('orders.shipped'), a wildcard ('orders.*'), or a ` +
        `non-empty list of them; got ${describeValue(value)}.`,
    );
  }
}

/** Thrown by `listen()` for a listener it cannot call, or cannot queue the way it is asked to. */
export class InvalidListenerError extends EpilogueError {
  /**
   * @param event - The event it was given for.
   * @param value - What was given as a listener.
   */
  static forValue(event: string, value: unknown): InvalidListenerError {
    return new InvalidListenerError(
      'E_INVALID_LISTENER',
      `The listener of ${event} must be a function, an object with a handle() or __invoke() method, ` +
        `or a class whose instances have one (built by the container); got ${describeValue(value)}.`,
    );
  }

  /**
   * @param event - The event it was given for.
   * @param name - The listener class's name.
   */
  static queuedInstance(event: string, name: string): InvalidListenerError {
    return new InvalidListenerError(
      'E_QUEUED_LISTENER_INSTANCE',
      `The listener of ${event} is an instance of ${name}, which is marked ShouldQueue. A worker builds ` +
        `queued listeners itself, from the container, so pass the class: listen(${event}, ${name}).`,
    );
  }

  /**
   * @param event - The event it was given for.
   * @param value - The listener that cannot travel to a worker.
   */
  static notQueueable(event: string, value: unknown): InvalidListenerError {
    return new InvalidListenerError(
      'E_LISTENER_NOT_QUEUEABLE',
      `The sequential listeners of ${event} go through a queue, one after another, so each must be a ` +
        `named class a worker can build; got ${describeValue(value)}. Make it a class with handle(), or ` +
        'listen with it outside the sequence.',
    );
  }

  /**
   * @param event - The event it was given for.
   * @param type - The class's name.
   * @param method - The method named with it.
   */
  static missingMethod(event: string, type: string, method: string): InvalidListenerError {
    return new InvalidListenerError(
      'E_LISTENER_METHOD_MISSING',
      `The listener [${type}, '${method}'] of ${event} names a method ${type} does not have: ${type} has no ` +
        `${method}() method. Add it to ${type}, or name one of its methods.`,
    );
  }

  /** @param event - The event it was given for. */
  static anonymous(event: string): InvalidListenerError {
    return new InvalidListenerError(
      'E_ANONYMOUS_LISTENER',
      `A queued listener of ${event} is an anonymous class, so it has no name to travel under. Name ` +
        "the class, or give it a stable name of its own: `static listenerName = 'orders.send-email'`.",
    );
  }

  /**
   * @param option - The option's name.
   * @param expected - What it should be.
   * @param value - What it is.
   */
  static forOption(option: string, expected: string, value: unknown): InvalidListenerError {
    return new InvalidListenerError(
      'E_INVALID_LISTEN_OPTION',
      `listen()'s option \`${option}\` must be ${expected}; got ${describeValue(value)}.`,
    );
  }
}

/** Thrown by `subscribe()` for something that is not a subscriber. */
export class InvalidSubscriberError extends EpilogueError {
  /** @param value - What was given. */
  static forValue(value: unknown): InvalidSubscriberError {
    return new InvalidSubscriberError(
      'E_INVALID_SUBSCRIBER',
      `subscribe() takes a class (built by the container) or an object with a subscribe(events) method ` +
        `that calls events.listen(); got ${describeValue(value)}.`,
    );
  }

  /**
   * @param subscriber - The subscriber's class name.
   * @param method - The method its map names.
   */
  static missingMethod(subscriber: string, method: string): InvalidSubscriberError {
    return new InvalidSubscriberError(
      'E_INVALID_SUBSCRIBER',
      `${subscriber}.subscribe() maps an event to "${method}", but ${subscriber} has no ${method}() method. ` +
        'A string in the map names a method of the subscriber; give a function or a listener class otherwise.',
    );
  }

  /**
   * @param subscriber - The subscriber's class name.
   * @param type - The class in the map's value.
   * @param method - The method both have.
   */
  static ambiguousPair(subscriber: string, type: string, method: string): InvalidSubscriberError {
    return new InvalidSubscriberError(
      'E_INVALID_SUBSCRIBER',
      `${subscriber}.subscribe() maps an event to [${type}, '${method}'], and both ${type} and ${subscriber} ` +
        `have a ${method}() method, so it could mean ${type}.${method}() or the two listeners ${type} and ` +
        `${subscriber}.${method}(). Write [[${type}, '${method}']] for the first, or ['${method}', ${type}] for the ` +
        "second (the subscriber's method then runs first).",
    );
  }

  /** @param subscriber - The subscriber's class name. */
  static returnedPromise(subscriber: string): InvalidSubscriberError {
    return new InvalidSubscriberError(
      'E_INVALID_SUBSCRIBER',
      `${subscriber}.subscribe() returned a promise: listeners must be registered at once, so make ` +
        'subscribe() synchronous (call events.listen() in it, or return the map of events to listeners).',
    );
  }

  /** @param subscriber - The subscriber's class name. */
  static returnedList(subscriber: string): InvalidSubscriberError {
    return new InvalidSubscriberError(
      'E_INVALID_SUBSCRIBER',
      `${subscriber}.subscribe() returned a list; return a map of events to listeners instead: ` +
        "new Map([[OrderShipped, 'onShipped']]) for event classes, { 'orders.shipped': 'onShipped' } for names.",
    );
  }
}

/**
 * Thrown at dispatch when an event must go through a queue (for a queued listener, or because it
 * is a queued event) and its class is not one a worker could build again.
 */
export class EventNotRegisteredError extends EpilogueError {
  /** @param name - The event's class name. */
  static forClass(name: string): EventNotRegisteredError {
    return new EventNotRegisteredError(
      'E_EVENT_NOT_REGISTERED',
      `${name} cannot be queued: its class is not registered, so a worker could not build it again. ` +
        `Listen to ${name} itself (listen() registers the classes it is given), mark it @ShouldQueue(), ` +
        `or register it with registerJobs(app, [${name}]), in the worker's application too.`,
    );
  }
}

/** Thrown at dispatch when an event bound for a queue holds a value that cannot cross a process boundary. */
export class EventNotSerializableError extends EpilogueError {
  /** The field that could not be serialized, from the event (`customer.socket`). */
  readonly path: string;

  /**
   * @param code - The stable code.
   * @param message - What happened and what to do.
   * @param path - The field's path.
   * @param options - The queue's own error, kept as `cause`.
   */
  constructor(code: string, message: string, path: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.path = path;
  }

  /**
   * @param event - The event's name.
   * @param bound - What it was queued for (`the listener SendEmail`, `a queued event`).
   * @param path - The field's path within the event.
   * @param cause - The queue's `JobNotSerializableError`.
   */
  static at(event: string, bound: string, path: string, cause: unknown): EventNotSerializableError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new EventNotSerializableError(
      'E_EVENT_NOT_SERIALIZABLE',
      `${event} cannot be queued for ${bound}: its field \`${path}\` cannot be serialized. A queued ` +
        'event travels as its public fields, with the same rules as a queued job: keep ids in the event ' +
        `and load the rest in the listener. (${detail})`,
      path,
      { cause },
    );
  }
}

/** Thrown at dispatch when a queued listener's or queued event's options (`tries`, `backoff`, `connection`...) are unusable. */
export class InvalidQueuedOptionError extends EpilogueError {
  /**
   * @param listener - The listener's name.
   * @param cause - The queue's `InvalidJobOptionError`, or a description of the problem.
   */
  static forListener(listener: string, cause: unknown): InvalidQueuedOptionError {
    return new InvalidQueuedOptionError(
      'E_INVALID_LISTENER_OPTION',
      `The queued listener ${listener} has an unusable option: ${detailOf(cause)} Fix the option (field or method) on ${listener}.`,
      { cause },
    );
  }

  /**
   * @param event - The event's name.
   * @param cause - The queue's `InvalidJobOptionError`, or a description of the problem.
   */
  static forEvent(event: string, cause: unknown): InvalidQueuedOptionError {
    return new InvalidQueuedOptionError(
      'E_INVALID_EVENT_OPTION',
      `The queued event ${event} has an unusable option: ${detailOf(cause)} Fix the option (field or method) on ${event}.`,
      { cause },
    );
  }
}

/** Thrown by `listen()` when two different queued listener classes would travel under one name. */
export class DuplicateListenerNameError extends EpilogueError {
  /**
   * @param name - The contested name.
   * @param first - The class already known under it.
   * @param second - The class that claims it too.
   */
  static forName(name: string, first: string, second: string): DuplicateListenerNameError {
    return new DuplicateListenerNameError(
      'E_DUPLICATE_LISTENER_NAME',
      `Two different queued listener classes (${first} and ${second}) are both named "${name}", so a ` +
        `worker could not tell which one to build. Give one a stable name of its own: ` +
        `\`static listenerName = 'billing.${name}'\`.`,
    );
  }
}

/** Thrown on a worker when a queued listener's name is not one its application listens with. */
export class ListenerNotRegisteredError extends EpilogueError {
  /** @param name - The name the job carries. */
  static named(name: string): ListenerNotRegisteredError {
    return new ListenerNotRegisteredError(
      'E_LISTENER_NOT_REGISTERED',
      `No queued listener is registered as "${name}" in this application, so the worker cannot build it. ` +
        'The worker must load the same listen() calls as the process that dispatched the event.',
    );
  }
}

// The queue names the job class that carries the options (`CallQueuedListener.tries must be...`);
// the user wrote them on the listener or the event, so only the option's name is kept.
function detailOf(cause: unknown): string {
  return (cause instanceof Error ? cause.message : String(cause)).replace(/^[\w$]+\./, '');
}
