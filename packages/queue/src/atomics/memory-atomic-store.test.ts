import { MemoryAtomicStore } from '@epilogue/queue';
import { describeAtomicStore } from '@epilogue/queue/testing';

describeAtomicStore('MemoryAtomicStore', () => new MemoryAtomicStore());

describe('MemoryAtomicStore', () => {
  it('reads expiry from the clock it was given', async () => {
    let now = 1_000;
    const store = new MemoryAtomicStore({ clock: { now: () => now } });
    await store.acquire('lock', 'a', 500);
    expect(await store.hit('counter', 200)).toEqual({ count: 1, resetInMs: 200 });
    now += 199;
    expect(await store.peek('counter')).toEqual({ count: 1, resetInMs: 1 });
    expect(await store.acquire('lock', 'b', 500)).toBe(false);
    now += 1;
    expect(await store.peek('counter')).toEqual({ count: 0, resetInMs: 0 });
    now += 300;
    expect(await store.owner('lock')).toBeUndefined();
    expect(await store.acquire('lock', 'b', 500)).toBe(true);
  });
});
