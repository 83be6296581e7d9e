// The reference scenario of docs/events.md: an event RegisterReservation(formId,
// guestReservationId) with two listeners, StoreReservation (returns false when the reservation
// already exists) and SendReservationEmail. For a new id both run; for an existing id the email
// listener never runs. It must hold whether the listeners run inline, the event is queued, or
// the listeners are queued as a sequence. (reservation-redis.test.ts runs the last against Redis,
// with the worker in another process.)
import { ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { EventDispatcher } from '@epilogue/events';
import { configureQueues, MemoryDriver, Worker } from '@epilogue/queue';

const reservations = new Set<string>();
const log: string[] = [];

class RegisterReservation {
  constructor(
    public formId: number,
    public guestReservationId: string,
  ) {}
}

class StoreReservation {
  handle(event: RegisterReservation) {
    log.push(`store ${event.guestReservationId}`);
    if (reservations.has(event.guestReservationId)) return false;
    reservations.add(event.guestReservationId);
  }
}

class SendReservationEmail {
  handle(event: RegisterReservation) {
    log.push(`email ${event.guestReservationId} (form ${event.formId})`);
  }
}

// The same event, queued: one job runs both listeners on the worker.
@ShouldQueue()
class QueuedRegisterReservation extends RegisterReservation {}

// The same listeners, queued: each is a job, chained when sequential.
@ShouldQueue()
class QueuedStoreReservation extends StoreReservation {}
@ShouldQueue()
class QueuedSendReservationEmail extends SendReservationEmail {}

interface Mode {
  /** Dispatches a reservation and waits until whatever it queued has been worked. */
  register(formId: number, guestReservationId: string): Promise<void>;
}

function queuedApp() {
  const app = new Application({ report: (error) => console.error(error) });
  configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() } });
  const work = () => new Worker(app, { stopWhenEmpty: true, stopTimeoutMs: 500 }).run();
  return { app, events: app.make(EventDispatcher), work };
}

const modes: Record<string, () => Mode> = {
  'both listeners sync': () => {
    const events = new Application().make(EventDispatcher);
    events.listen(RegisterReservation, [StoreReservation, SendReservationEmail]);
    return { register: async (form, id) => void (await events.dispatch(new RegisterReservation(form, id))) };
  },
  'the event queued': () => {
    const { events, work } = queuedApp();
    events.listen(QueuedRegisterReservation, [StoreReservation, SendReservationEmail]);
    return {
      register: async (form, id) => {
        const before = log.length;
        await events.dispatch(new QueuedRegisterReservation(form, id));
        expect(log).toHaveLength(before); // nothing ran in the dispatching process
        await work();
      },
    };
  },
  'both listeners queued in sequential mode': () => {
    const { events, work } = queuedApp();
    events.listen(RegisterReservation, [QueuedStoreReservation, QueuedSendReservationEmail], { sequential: true });
    return {
      register: async (form, id) => {
        const before = log.length;
        await events.dispatch(new RegisterReservation(form, id));
        expect(log).toHaveLength(before);
        await work();
      },
    };
  },
};

beforeEach(() => {
  reservations.clear();
  log.length = 0;
});

describe.each(Object.keys(modes))('the reservation scenario, %s', (mode) => {
  it('runs both listeners for a new reservation id', async () => {
    const { register } = modes[mode]();
    await register(1, 'r-new');
    expect(log).toEqual(['store r-new', 'email r-new (form 1)']);
  });

  it('never runs the email listener for an id that already exists', async () => {
    const { register } = modes[mode]();
    await register(1, 'r-42');
    await register(2, 'r-42');
    expect(log).toEqual(['store r-42', 'email r-42 (form 1)', 'store r-42']);
    await register(3, 'r-43');
    expect(log).toEqual(['store r-42', 'email r-42 (form 1)', 'store r-42', 'store r-43', 'email r-43 (form 3)']);
  });
});

describe('the reservation scenario, both listeners queued without sequential mode', () => {
  it('sends the email for an existing id anyway: each queued listener is a job of its own', async () => {
    const { events, work } = queuedApp();
    events.listen(RegisterReservation, [QueuedStoreReservation, QueuedSendReservationEmail]);
    await events.dispatch(new RegisterReservation(1, 'r-7'));
    await work();
    await events.dispatch(new RegisterReservation(2, 'r-7'));
    await work();
    expect(log).toEqual(['store r-7', 'email r-7 (form 1)', 'store r-7', 'email r-7 (form 2)']);
  });
});
