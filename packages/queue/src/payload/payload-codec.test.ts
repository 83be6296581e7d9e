import { Socket } from 'node:net';
import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import {
  InvalidJobOptionError,
  InvalidPayloadError,
  InvalidQueueConfigError,
  JobNotRegisteredError,
  JobNotSerializableError,
  jobRegistry,
  PayloadCodec,
  registerJobs,
  type PayloadCodecOptions,
} from '@epilogue/queue';

let constructed = 0;

class Address {
  constructor(
    public street: string,
    public city: string,
  ) {
    constructed++;
  }
  label() {
    return `${this.street}, ${this.city}`;
  }
}

@ShouldQueue()
class NotifyCustomer extends Job {
  constructor(public email: string) {
    super();
    constructed++;
  }
}

@ShouldQueue()
class ShipOrder extends Job {
  tries = 3;
  backoff = [1, 5];
  timeout = 30;
  failOnTimeout = true;
  maxExceptions = 2;
  constructor(
    public orderId: number,
    public extra: Record<string, unknown> = {},
  ) {
    super();
    constructed++;
  }
  retryUntil() {
    return new Date(90_000);
  }
  displayName() {
    return `ShipOrder #${this.orderId}`;
  }
  handle() {
    return `shipped ${this.orderId}`;
  }
}

class NotRegistered extends Job {}

const KEY = 'k'.repeat(32);

function setup(options: PayloadCodecOptions = {}) {
  const app = new Application({ report: () => undefined });
  registerJobs(app, [Address]);
  const codec = new PayloadCodec(jobRegistry(app), { clock: { now: () => 60_000 }, ...options });
  return { app, codec };
}

function encodeError(codec: PayloadCodec, job: object): JobNotSerializableError {
  try {
    codec.encode(job);
  } catch (error) {
    return error as JobNotSerializableError;
  }
  throw new Error('expected encode() to throw');
}

function decodeError(codec: PayloadCodec, body: unknown): InvalidPayloadError {
  try {
    codec.decode(body);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPayloadError);
    return error as InvalidPayloadError;
  }
  throw new Error('expected decode() to throw');
}

/** A valid payload as JSON text, with `data` (raw encoded fields) and overrides. */
function rawPayload(data: string, overrides = ''): string {
  return (
    `{"v":1,"id":"p-1","job":"ShipOrder","displayName":"ShipOrder","data":${data},"attempts":0,` +
    `"maxTries":null,"maxExceptions":null,"backoff":null,"timeout":null,"failOnTimeout":false,` +
    `"retryUntil":null,"createdAt":1${overrides}}`
  );
}

describe('PayloadCodec: writing', () => {
  it('writes a versioned payload with the job name, options and times', () => {
    const { codec } = setup();
    const { payload, body } = codec.encode(new ShipOrder(7));
    expect(payload).toEqual({
      v: 1,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      job: 'ShipOrder',
      displayName: 'ShipOrder #7',
      data: expect.objectContaining({ orderId: 7, tries: 3 }),
      attempts: 0,
      maxTries: 3,
      maxExceptions: 2,
      backoff: [1, 5],
      timeout: 30,
      failOnTimeout: true,
      retryUntil: 90_000,
      createdAt: 60_000,
    });
    expect(JSON.parse(body)).toEqual(payload);
  });

  it('gives each payload its own id', () => {
    const { codec } = setup();
    expect(codec.encode(new ShipOrder(1)).payload.id).not.toBe(codec.encode(new ShipOrder(1)).payload.id);
  });

  it('writes a single backoff number as a list, and null for options a job does not declare', () => {
    const { codec } = setup();
    const job = Object.assign(new NotifyCustomer('a@b.c'), { backoff: 4 });
    expect(codec.encode(job).payload).toMatchObject({
      maxTries: null,
      maxExceptions: null,
      backoff: [4],
      timeout: null,
      failOnTimeout: false,
      retryUntil: null,
      displayName: 'NotifyCustomer',
    });
  });

  it('refuses at dispatch a job whose class is not registered', () => {
    const { codec } = setup();
    expect(() => codec.encode(new NotRegistered())).toThrow(JobNotRegisteredError);
    expect(() => codec.encode({ plain: true })).toThrow(JobNotRegisteredError);
  });

  it.each([
    ['tries', -1],
    ['tries', 1.5],
    ['maxExceptions', 0],
    ['timeout', 0],
    ['backoff', []],
    ['backoff', [1, -2]],
    ['failOnTimeout', 'yes'],
    ['retryUntil', 'tomorrow'],
  ])('refuses at dispatch an unusable %s (%p)', (option, value) => {
    const { codec } = setup();
    const job = Object.assign(new NotifyCustomer('x'), { [option]: value });
    expect(() => codec.encode(job)).toThrow(InvalidJobOptionError);
  });
});

describe('PayloadCodec: round trip', () => {
  it('rebuilds the job with its own fields, Dates, Maps, Sets, plain objects and nested jobs', () => {
    const { codec } = setup();
    const extra = {
      at: new Date('2026-01-02T03:04:05.678Z'),
      invalid: new Date(NaN),
      tags: new Set(['a', 'b']),
      prices: new Map<unknown, unknown>([
        ['eur', 10],
        [2, { nested: [1, 'two', null] }],
      ]),
      plain: { deep: { deeper: { value: true } } },
      noProto: Object.assign(Object.create(null) as object, { x: 1 }),
      list: Object.assign(new Array<unknown>(4), { 0: 1, 1: undefined, 3: 'x' }), // index 2 is a hole
      special: [NaN, Infinity, -Infinity],
      big: 12345678901234567890n,
      tagLike: { $t: 'Date', v: 'not a date' },
      address: new Address('1 Main St', 'Springfield'),
      notify: new NotifyCustomer('ada@example.com'),
      skipped: undefined,
    };
    const original = new ShipOrder(42, extra);
    const before = constructed;
    const { job } = codec.decode(codec.encode(original).body);

    expect(constructed).toBe(before);
    expect(job).toBeInstanceOf(ShipOrder);
    const copy = job as ShipOrder;
    expect(copy.handle()).toBe('shipped 42');
    expect(copy.tries).toBe(3);
    const e = copy.extra as typeof extra;
    expect(e.at).toEqual(extra.at);
    expect(Number.isNaN((e.invalid as Date).getTime())).toBe(true);
    expect(e.tags).toEqual(new Set(['a', 'b']));
    expect(e.prices).toEqual(extra.prices);
    expect(e.plain).toEqual(extra.plain);
    expect({ ...e.noProto }).toEqual({ x: 1 });
    expect(e.list).toEqual([1, undefined, undefined, 'x']);
    expect(e.special).toEqual([NaN, Infinity, -Infinity]);
    expect(e.big).toBe(12345678901234567890n);
    expect(e.tagLike).toEqual({ $t: 'Date', v: 'not a date' });
    expect(e.address).toBeInstanceOf(Address);
    expect(e.address.label()).toBe('1 Main St, Springfield');
    expect(e.notify).toBeInstanceOf(NotifyCustomer);
    expect(e.notify.email).toBe('ada@example.com');
    expect('skipped' in e).toBe(false);
  });

  it('keeps the same object twice when it is shared but not circular', () => {
    const { codec } = setup();
    const shared = { n: 1 };
    const { job } = codec.decode(codec.encode(new ShipOrder(1, { a: shared, b: shared })).body);
    expect((job as ShipOrder).extra).toEqual({ a: { n: 1 }, b: { n: 1 } });
  });

  it('uses explicit names from registerJobs() and static jobName', () => {
    const app = new Application({ report: () => undefined });
    class Renamed extends Job {
      static jobName = 'billing.renamed';
    }
    class Mapped extends Job {}
    registerJobs(app, [Renamed]);
    registerJobs(app, { 'billing.mapped': Mapped });
    const codec = new PayloadCodec(jobRegistry(app));
    expect(codec.encode(new Renamed()).payload.job).toBe('billing.renamed');
    expect(codec.encode(new Mapped()).payload.job).toBe('billing.mapped');
    expect(codec.decode(codec.encode(new Mapped()).body).job).toBeInstanceOf(Mapped);
  });
});

describe('PayloadCodec: what cannot be queued fails at dispatch, naming the field', () => {
  it.each<[string, () => object, string, RegExp]>([
    ['a function', () => new ShipOrder(1, { callback: () => 1 }), 'extra.callback', /is a function/],
    ['a symbol', () => new ShipOrder(1, { kind: Symbol('x') }), 'extra.kind', /is a symbol/],
    ['a socket', () => new ShipOrder(1, { user: { socket: new Socket() } }), 'extra.user.socket', /instance of Socket/],
    ['an unregistered class', () => new ShipOrder(1, { error: new Error('x') }), 'extra.error', /instance of Error/],
    ['an array item', () => new ShipOrder(1, { list: [1, () => 2] }), 'extra.list[1]', /function/],
    ['a Map value', () => new ShipOrder(1, { m: new Map([['k', Symbol('v')]]) }), 'extra.m.get("k")', /symbol/],
    ['a Set item', () => new ShipOrder(1, { s: new Set([1, () => 0]) }), 'extra.s.values()[1]', /function/],
    ['an odd key', () => new ShipOrder(1, { 'content-type': () => 0 }), 'extra["content-type"]', /function/],
    ['a symbol key', () => new ShipOrder(1, { [Symbol('s')]: 1 }), 'extra[Symbol(s)]', /symbol as key/],
    ['a prototype key', () => new ShipOrder(1, JSON.parse('{"__proto__":{"x":1}}')), 'extra.__proto__', /refuse/],
    ['a constructor key', () => new ShipOrder(1, { constructor: 'x' }), 'extra.constructor', /refuse/],
  ])('%s', (_, build, path, reason) => {
    const { codec } = setup();
    const socketJob = build();
    const error = encodeError(codec, socketJob);
    expect(error).toBeInstanceOf(JobNotSerializableError);
    expect(error.code).toBe('E_JOB_NOT_SERIALIZABLE');
    expect(error.path).toBe(path);
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(`\`${path}\``);
    const socket = (socketJob as ShipOrder).extra.user as { socket?: Socket } | undefined;
    socket?.socket?.destroy();
  });

  it('circular data, naming where it points back to', () => {
    const { codec } = setup();
    const node: Record<string, unknown> = { name: 'root' };
    node.children = [{ parent: node }];
    const error = encodeError(codec, new ShipOrder(1, { node }));
    expect(error.path).toBe('extra.node.children[0].parent');
    expect(error.message).toMatch(/refers back to `extra.node`/);
  });

  it('a job that refers to itself', () => {
    const { codec } = setup();
    const job = new ShipOrder(1);
    job.extra = { self: job };
    expect(encodeError(codec, job).path).toBe('extra.self');
  });

  it('data nested too deeply', () => {
    const { codec } = setup();
    let deep: unknown = 'bottom';
    for (let i = 0; i < 150; i++) deep = [deep];
    expect(encodeError(codec, new ShipOrder(1, { deep })).message).toMatch(/levels deep/);
  });

  it('a payload over the size limit', () => {
    const { codec } = setup({ maxPayloadBytes: 2000 });
    expect(() => codec.encode(new ShipOrder(1, { text: 'é'.repeat(1000) }))).toThrow(
      expect.objectContaining({ code: 'E_PAYLOAD_TOO_LARGE' }),
    );
    expect(() => codec.encode(new ShipOrder(1, { text: 'e'.repeat(1000) }))).not.toThrow();
  });
});

describe('PayloadCodec: reading refuses what is not safe, with a reason', () => {
  it.each<[string, unknown, string, string]>([
    ['text that is not JSON', '{"v":1,', 'malformed', 'E_PAYLOAD_MALFORMED'],
    ['a value that is not text', { v: 1 }, 'malformed', 'E_PAYLOAD_MALFORMED'],
    ['JSON that is not an object', '[1,2]', 'malformed', 'E_PAYLOAD_MALFORMED'],
    ['a payload without version', '{"id":"x"}', 'malformed', 'E_PAYLOAD_MALFORMED'],
    ['another version', rawPayload('{}').replace('"v":1', '"v":2'), 'unsupported-version', 'E_PAYLOAD_VERSION'],
    ['a field of the wrong type', rawPayload('{}').replace('"attempts":0', '"attempts":"0"'), 'malformed', 'E_PAYLOAD_MALFORMED'],
    ['data that is a list', rawPayload('[]'), 'malformed', 'E_PAYLOAD_MALFORMED'],
    ['an unknown job name', rawPayload('{}').replace('"job":"ShipOrder"', '"job":"child_process"'), 'unknown-job', 'E_PAYLOAD_UNKNOWN_JOB'],
    ['an unknown nested job', rawPayload('{"x":{"$t":"Job","name":"Evil","v":{}}}'), 'unknown-job', 'E_PAYLOAD_UNKNOWN_JOB'],
    ['an unknown tag', rawPayload('{"x":{"$t":"Function","v":"return 1"}}'), 'malformed', 'E_PAYLOAD_MALFORMED'],
    ['a bad tagged value', rawPayload('{"x":{"$t":"BigInt","v":"1e9"}}'), 'malformed', 'E_PAYLOAD_MALFORMED'],
    ['a __proto__ key in data', rawPayload('{"a":{"b":{"__proto__":{"polluted":1}}}}'), 'forbidden-key', 'E_PAYLOAD_FORBIDDEN_KEY'],
    ['a constructor key', rawPayload('{"constructor":{"prototype":{}}}'), 'forbidden-key', 'E_PAYLOAD_FORBIDDEN_KEY'],
    ['a prototype key at the top', rawPayload('{}', ',"prototype":1'), 'forbidden-key', 'E_PAYLOAD_FORBIDDEN_KEY'],
    ['a __proto__ key in a nested job', rawPayload('{"x":{"$t":"Job","name":"Address","v":{"__proto__":{}}}}'), 'forbidden-key', 'E_PAYLOAD_FORBIDDEN_KEY'],
  ])('%s', (_, body, reason, code) => {
    const { codec } = setup();
    const error = decodeError(codec, body);
    expect(error.reason).toBe(reason);
    expect(error.code).toBe(code);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names where a forbidden key was found', () => {
    const { codec } = setup();
    expect(decodeError(codec, rawPayload('{"a":{"b":{"__proto__":{}}}}')).message).toContain('`data.a.b.__proto__`');
  });

  it('refuses data nested too deeply without overflowing the stack', () => {
    const { codec } = setup();
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    expect(decodeError(codec, rawPayload(`{"x":${deep}}`)).reason).toBe('malformed');
  });

  it('refuses a payload over the size limit before parsing it', () => {
    const { codec } = setup({ maxPayloadBytes: 1000 });
    const error = decodeError(codec, rawPayload(`{"x":"${'a'.repeat(2000)}"}`));
    expect(error.reason).toBe('too-large');
  });

  it('builds nothing but registered classes, and runs no constructor', () => {
    const { codec } = setup();
    const before = constructed;
    const { job } = codec.decode(rawPayload('{"orderId":5,"a":{"$t":"Job","name":"Address","v":{"city":"X"}}}'));
    expect(constructed).toBe(before);
    expect((job as ShipOrder).orderId).toBe(5);
    expect((job as ShipOrder & { a: Address }).a).toBeInstanceOf(Address);
  });
});

describe('PayloadCodec: signed payloads', () => {
  it('signs payloads and reads them back', () => {
    const { codec } = setup({ signingKey: KEY });
    const { body } = codec.encode(new ShipOrder(3));
    expect(body).toMatch(/^\{"sig":"[0-9a-f]{64}",/);
    expect((codec.decode(body).job as ShipOrder).orderId).toBe(3);
  });

  it('refuses a tampered payload', () => {
    const { codec } = setup({ signingKey: KEY });
    const { body } = codec.encode(new ShipOrder(3));
    expect(decodeError(codec, body.replace('"orderId":3', '"orderId":4')).code).toBe('E_PAYLOAD_SIGNATURE');
    const flipped = body.replace(/"sig":"(.)/, (_, c: string) => `"sig":"${c === 'a' ? 'b' : 'a'}`);
    expect(decodeError(codec, flipped).reason).toBe('bad-signature');
  });

  it('refuses an unsigned payload, and one signed with another key', () => {
    const { codec } = setup({ signingKey: KEY });
    const unsigned = setup().codec.encode(new ShipOrder(3)).body;
    expect(decodeError(codec, unsigned).reason).toBe('bad-signature');
    const other = setup({ signingKey: 'x'.repeat(32) }).codec.encode(new ShipOrder(3)).body;
    expect(decodeError(codec, other).reason).toBe('bad-signature');
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => setup({ signingKey: 'short' })).toThrow(InvalidQueueConfigError);
  });
});
