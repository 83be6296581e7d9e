import {
  jobName,
  type PushOptions,
  type QueueableJob,
  type QueueConnectionResolver,
  type QueuedChain,
} from '@epilogue/bus';
import type { Application } from '@epilogue/core';
import {
  InvalidJobOptionError,
  jobRegistry,
  PayloadCodec,
  QueueManager,
  type ChainLink,
  type ChainPayload,
  type JobPayload,
} from '@epilogue/queue';

/** A job the fake queue received: written as a payload and read back, as a worker would. */
export interface PushedJob<J extends object = object> {
  /** The job read back from its payload: what a worker would run. */
  readonly job: J;
  /** The instance that was dispatched. */
  readonly dispatched: object;
  /** The connection it was pushed to. */
  readonly connection: string;
  /** The queue it was pushed to. */
  readonly queue: string;
  /** Seconds it would wait before it may run. */
  readonly delay: number;
  /** When it is the first job of a chain: the rest of it and its catch jobs, read back too. */
  readonly chain?: { readonly jobs: readonly object[]; readonly catch: readonly object[] };
  /** The payload it was written as. */
  readonly payload: JobPayload;
}

/** How the fake writes and reads payloads: as the application's queues do. */
export interface PayloadTrip {
  /** The connection of jobs that name none. */
  readonly defaultConnection: string;
  /**
   * Writes a pushed job as a payload and reads it back.
   *
   * @throws The real typed errors: `JobNotRegisteredError`, `JobNotSerializableError`,
   *   `UnknownConnectionError`, `InvalidJobOptionError`, `InvalidPayloadError`.
   */
  push(job: object, options: PushOptions, connection: string): PushedJob;
  /** A job as it would come out of a queue (to compare an expected instance with a pushed one). */
  restore(job: object): object;
}

/**
 * The payload round trip of an application: through its `QueueManager` when queues are
 * configured (its codec, signing key, size limit, connections and chain encoding), else through
 * a codec on the application's job registry, as a `sync` connection.
 *
 * @param resolver - What the bus sent queued jobs to before the fake.
 */
export function payloadTrip(app: Application, resolver: QueueConnectionResolver | undefined): PayloadTrip {
  const manager = resolver instanceof QueueManager ? resolver : undefined;
  const codec = manager?.payloads ?? new PayloadCodec(jobRegistry(app));
  const defaultQueue = manager?.defaultQueue ?? 'default';
  const encodeChain = (chain: QueuedChain) => (manager ? manager.chains.encode(chain) : encodeLoosely(codec, chain));
  const read = (payload: JobPayload) => codec.decode(codec.write(payload)).job;
  return {
    defaultConnection: manager?.defaultConnection ?? 'sync',
    push(job, options, connection) {
      manager?.driver(connection);
      const delay = options.delay ?? 0;
      if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
        throw InvalidJobOptionError.forOption(jobName(job), 'delay', 'seconds ≥ 0', delay);
      }
      const chain = options.chain === undefined ? undefined : encodeChain(options.chain);
      const decoded = codec.decode(codec.encode(job, chain).body);
      const carried = decoded.payload.chain;
      const rest = options.chain === undefined ? undefined : {
        jobs: carried?.next.map((link) => read(link.payload)) ?? [],
        catch: carried?.catch.map((link) => read(link.payload)) ?? [],
      };
      const queue = options.queue ?? defaultQueue;
      const pushed = { job: decoded.job, dispatched: job, connection, queue, delay, payload: decoded.payload };
      return rest === undefined ? pushed : { ...pushed, chain: rest };
    },
    restore: (job) => codec.decode(codec.encode(job).body).job,
  };
}

// Without configured queues there are no connections to check a chain's jobs against: every
// job is still written as its payload, so one that could not be queued fails as it would.
function encodeLoosely(codec: PayloadCodec, chain: QueuedChain): ChainPayload | undefined {
  const link = (job: object, chainDelay: number | undefined): ChainLink => {
    const own = job as QueueableJob;
    const delay = own.delay ?? chainDelay ?? 0;
    return {
      connection: own.connection ?? chain.connection ?? null,
      queue: own.queue ?? chain.queue ?? null,
      delay,
      payload: codec.payloadOf(job),
    };
  };
  const next = chain.jobs.map((job) => link(job, chain.delay));
  const catchers = chain.catch.map((job) => link(job, undefined));
  return next.length === 0 && catchers.length === 0 ? undefined : { next, catch: catchers };
}
