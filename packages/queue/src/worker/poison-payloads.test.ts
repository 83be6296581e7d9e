import { Job, ShouldQueue } from '@epilogue/bus';
import { Application, type ErrorContext } from '@epilogue/core';
import { configureQueues, MemoryDriver, queueManager, Worker, type PayloadCodecOptions } from '@epilogue/queue';

const ran: number[] = [];

@ShouldQueue()
class Harmless extends Job {
  constructor(public n: number) {
    super();
  }
  handle() {
    ran.push(this.n);
  }
}

const KEY = 'poison-test-key-of-at-least-32-bytes';

function setup(options: PayloadCodecOptions = {}) {
  ran.length = 0;
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  const memory = new MemoryDriver();
  const config = { default: 'memory', connections: { memory }, maxPayloadBytes: 64 * 1024, ...options };
  const manager = configureQueues(app, config);
  return { app, memory, manager, reports };
}

// A small deterministic generator, so that a failure can be replayed.
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(body: string, next: () => number): string {
  const chars = [...body];
  const count = 1 + Math.floor(next() * 3);
  for (let i = 0; i < count; i++) {
    const at = Math.floor(next() * chars.length);
    chars[at] = String.fromCharCode(32 + Math.floor(next() * 95));
  }
  const mutated = chars.join('');
  return mutated === body ? `${body} ` : mutated;
}

async function workAll(app: Application) {
  return new Worker(app, { stopWhenEmpty: true, concurrency: 4 }).run();
}

describe('poison payloads', () => {
  it('each refused payload ends in the failed store with its reason, and the worker keeps going', async () => {
    const { app, memory, manager, reports } = setup();
    const valid = manager.payloads.encode(new Harmless(1)).body;
    const withData = (data: string) => valid.replace(/"data":\{[^}]*\}/, `"data":${data}`);
    const poison: [string, string][] = [
      ['E_PAYLOAD_MALFORMED', ''],
      ['E_PAYLOAD_MALFORMED', 'not json at all'],
      ['E_PAYLOAD_MALFORMED', '\u0000\u00ff\ud800garbage'],
      ['E_PAYLOAD_MALFORMED', 'null'],
      ['E_PAYLOAD_MALFORMED', '42'],
      ['E_PAYLOAD_MALFORMED', '"a string"'],
      ['E_PAYLOAD_MALFORMED', '[]'],
      ['E_PAYLOAD_MALFORMED', '{}'],
      ['E_PAYLOAD_MALFORMED', valid.replace('"attempts":0', '"attempts":-1')],
      ['E_PAYLOAD_MALFORMED', valid.replace(/"id":"[^"]+"/, '"id":7')],
      ['E_PAYLOAD_MALFORMED', withData('{"x":{"$t":"Eval","v":"process.exit()"}}')],
      ['E_PAYLOAD_VERSION', valid.replace('"v":1', '"v":99')],
      ['E_PAYLOAD_UNKNOWN_JOB', valid.replace('"job":"Harmless"', '"job":"fs"')],
      ['E_PAYLOAD_UNKNOWN_JOB', withData('{"n":2,"x":{"$t":"Job","name":"Function","v":{}}}')],
      ['E_PAYLOAD_FORBIDDEN_KEY', withData('{"n":3,"__proto__":{"isAdmin":true}}')],
      ['E_PAYLOAD_FORBIDDEN_KEY', withData('{"n":4,"a":[{"constructor":{"prototype":{"x":1}}}]}')],
      ['E_PAYLOAD_FORBIDDEN_KEY', valid.replace('{', '{"__proto__":{"polluted":true},')],
      ['E_PAYLOAD_TOO_LARGE', withData(`{"n":5,"text":"${'x'.repeat(70 * 1024)}"}`)],
    ];
    for (const [index, [, body]] of poison.entries()) {
      await memory.push(body, { queue: 'default', id: `poison-${index}` });
    }
    await memory.push(manager.payloads.encode(new Harmless(100)).body, { queue: 'default' });

    await expect(workAll(app)).resolves.toEqual({ reason: 'empty', jobs: poison.length + 1, stopTimedOut: false });

    expect(ran).toEqual([100]);
    const failed = await manager.failedJobs().list();
    expect(failed).toHaveLength(poison.length);
    for (const [index, [code, body]] of poison.entries()) {
      const record = failed.find((r) => r.id === `poison-${index}`)!;
      const seen = [index, record.payload === body, record.exception.slice(0, code.length + 2)];
      expect(seen).toEqual([index, true, `[${code}]`]);
    }
    expect(reports.every((r) => r.context.phase === 'queue-payload')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('survives random bytes and mutated payloads: each runs or is failed, none is lost', async () => {
    const { app, memory, manager } = setup();
    const next = random(20261121);
    const valid = manager.payloads.encode(new Harmless(7)).body;
    const bodies: string[] = [];
    for (let i = 0; i < 40; i++) {
      const length = Math.floor(next() * 200);
      bodies.push(Buffer.from(Array.from({ length }, () => Math.floor(next() * 256))).toString('latin1'));
    }
    for (let i = 0; i < 60; i++) bodies.push(mutate(valid, next));
    for (const [index, body] of bodies.entries()) await memory.push(body, { queue: 'default', id: `fuzz-${index}` });

    await expect(workAll(app)).resolves.toEqual({ reason: 'empty', jobs: bodies.length, stopTimedOut: false });

    const failed = await manager.failedJobs().list();
    expect(ran.length + failed.length).toBe(bodies.length);
    expect(failed.every((record) => /^\[E_[A-Z_]+\] /.test(record.exception))).toBe(true);
  });

  it('with a signing key, refuses every mutation of a signed payload', async () => {
    const { app, memory } = setup({ signingKey: KEY });
    const next = random(42);
    const valid = queueManager(app).payloads.encode(new Harmless(7)).body;
    for (let i = 0; i < 60; i++) await memory.push(mutate(valid, next), { queue: 'default' });
    await memory.push(valid, { queue: 'default' });

    await workAll(app);

    expect(ran).toEqual([7]);
    const failed = await memory.failedJobs.list();
    expect(failed).toHaveLength(60);
    expect(failed.every((record) => record.exception.startsWith('[E_PAYLOAD_SIGNATURE]'))).toBe(true);
  });
});
