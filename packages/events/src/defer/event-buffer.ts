import { AsyncLocalStorage } from 'node:async_hooks';
import { matcher, type EventClass, type EventKey } from '../listeners/event-key.js';

/** The events held by one `defer()` call, and which it holds. */
interface Held {
  /** Tests of the events to hold; undefined holds every event. */
  readonly only: readonly ((type: EventClass | undefined, name: string) => boolean)[] | undefined;
  /** The held dispatches, to replay in order. */
  readonly replays: (() => Promise<unknown>)[];
  /** Set once the callback returned: later dispatches (from work it left running) are not held. */
  closed: boolean;
}

/**
 * Holds the events dispatched inside `events.defer(callback)` and replays them once the callback
 * returned, or drops them when it threw. The buffer follows the callback's asynchronous context,
 * so concurrent requests never hold, release or drop each other's events. A `defer()` inside
 * another releases its events into the outer one, which holds them in turn.
 */
export class EventBuffer {
  readonly #storage = new AsyncLocalStorage<Held>();

  /**
   * Holds a dispatch when it happens inside a `defer()` that holds its event.
   *
   * @param type - The event's class; undefined for a named event.
   * @param name - The event's name.
   * @param replay - Dispatches it again, later.
   * @returns Whether it was held (and must not run now).
   */
  hold(type: EventClass | undefined, name: string, replay: () => Promise<unknown>): boolean {
    const held = this.#storage.getStore();
    if (held === undefined || held.closed) return false;
    if (held.only !== undefined && !held.only.some((matches) => matches(type, name))) return false;
    held.replays.push(replay);
    return true;
  }

  /**
   * Runs `callback`, holding the events dispatched inside it, then replays them in order.
   *
   * @param callback - The work whose events are held.
   * @param only - Hold only these events (classes, names, wildcards); all when omitted.
   * @returns What `callback` returned, once the held events were dispatched.
   * @throws What `callback` threw, after dropping the held events; or what a replayed dispatch threw.
   */
  async run<T>(callback: () => T | Promise<T>, only?: readonly EventKey[]): Promise<T> {
    const held: Held = { only: only?.map(matcher), replays: [], closed: false };
    let result: T;
    try {
      result = await this.#storage.run(held, callback);
    } finally {
      held.closed = true;
    }
    // Outside the callback's context now: the replays belong to whatever encloses this defer().
    for (const replay of held.replays) await replay();
    return result;
  }
}
