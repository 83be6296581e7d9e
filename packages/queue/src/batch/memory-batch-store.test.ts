import { MemoryBatchStore } from '@epilogue/bus';
import { describeBatchStore } from '@epilogue/queue/testing';

describeBatchStore('MemoryBatchStore', () => new MemoryBatchStore());

describe('MemoryBatchStore', () => {
  it('reads times from the clock it was given', async () => {
    let now = 5_000;
    const store = new MemoryBatchStore({ now: () => now });
    const { id, createdAt } = await store.create({ name: '', options: {} });
    expect(createdAt).toBe(5_000);
    now = 6_000;
    await store.cancel(id);
    expect(await store.find(id)).toMatchObject({ cancelledAt: 6_000, finishedAt: 6_000 });
    expect(await store.prune(6_000)).toBe(0);
    expect(await store.prune(6_001)).toBe(1);
  });

  it('hands out copies: changing what it returned does not change the store', async () => {
    const store = new MemoryBatchStore();
    const created = await store.create({ name: 'a', options: { list: [1] } });
    (created.options.list as number[]).push(2);
    const found = await store.find(created.id);
    expect(found?.options).toEqual({ list: [1] });
  });
});
