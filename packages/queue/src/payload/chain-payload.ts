import { InvalidPayloadError } from '../errors.js';
import type { JobRegistry } from '../registry/job-registry.js';
import type { JobPayload } from './job-payload.js';

/** A job a chain carries (one still to run, or a catch job), with where it is to be pushed. */
export interface ChainLink {
  /** The connection to push it to, or null for the default connection. */
  connection: string | null;
  /** The queue to push it to, or null for the connection's default queue. */
  queue: string | null;
  /** Seconds it waits on its queue once pushed. */
  delay: number;
  /** Its payload, written at dispatch; never with a chain of its own. */
  payload: JobPayload;
}

/** The optional `chain` field of a payload: what comes after its job. */
export interface ChainPayload {
  /** The jobs that run after this one, in order, each pushed once the one before it completed. */
  next: ChainLink[];
  /** The jobs dispatched, once, when a job of the chain fails for good. */
  catch: ChainLink[];
}

const CHAIN_KEYS: ReadonlySet<string> = new Set(['next', 'catch']);
const LINK_KEYS: ReadonlySet<string> = new Set(['connection', 'queue', 'delay', 'payload']);

/**
 * What is wrong with a payload's `chain` field, if anything. Strict: unknown keys are refused,
 * and each carried payload must pass `payloadProblem` and have no chain or signature of its own.
 *
 * @param chain - The field's value.
 * @param payloadProblem - What is wrong with a carried payload's version and fields.
 * @returns A description of the first problem, or undefined.
 */
export function chainProblem(
  chain: unknown,
  payloadProblem: (payload: Record<string, unknown>) => string | undefined,
): string | undefined {
  if (!isRecord(chain)) return '`chain` is not an object';
  const key = unknownKey(chain, CHAIN_KEYS);
  if (key !== undefined) return `\`chain\` has an unknown key "${key}"`;
  for (const list of ['next', 'catch'] as const) {
    const links = chain[list];
    if (!Array.isArray(links)) return `\`chain.${list}\` is not a list`;
    for (const [index, link] of links.entries()) {
      const problem = linkProblem(link, `chain.${list}[${index}]`, payloadProblem);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

function linkProblem(
  link: unknown,
  path: string,
  payloadProblem: (payload: Record<string, unknown>) => string | undefined,
): string | undefined {
  if (!isRecord(link)) return `\`${path}\` is not an object`;
  const key = unknownKey(link, LINK_KEYS);
  if (key !== undefined) return `\`${path}\` has an unknown key "${key}"`;
  if (link.connection !== null && !isName(link.connection)) return `\`${path}.connection\` is not a name or null`;
  if (link.queue !== null && !isName(link.queue)) return `\`${path}.queue\` is not a name or null`;
  if (!(typeof link.delay === 'number' && Number.isFinite(link.delay) && link.delay >= 0)) {
    return `\`${path}.delay\` is not seconds ≥ 0`;
  }
  const payload = link.payload;
  if (!isRecord(payload)) return `\`${path}.payload\` is not an object`;
  if (payload.chain !== undefined) return `\`${path}.payload\` has a chain of its own`;
  if (payload.sig !== undefined) return `\`${path}.payload\` has a signature of its own`;
  const problem = payloadProblem(payload);
  return problem === undefined ? undefined : `in \`${path}.payload\`, ${problem}`;
}

/**
 * Checks that every job a chain carries names a registered class, so that a chain that could
 * not go on is refused before its current job runs.
 *
 * @throws {InvalidPayloadError} `unknown-job`, naming where.
 */
export function assertChainJobsRegistered(chain: ChainPayload, registry: JobRegistry): void {
  for (const list of ['next', 'catch'] as const) {
    for (const [index, link] of chain[list].entries()) {
      if (registry.classFor(link.payload.job) === undefined) {
        throw InvalidPayloadError.unknownJob(link.payload.job, `chain.${list}[${index}].payload.job`);
      }
    }
  }
}

/**
 * The payload of the next job of a chain, carrying the rest of it.
 *
 * @param chain - The chain of the job that completed.
 * @returns The next job's link and its payload, or undefined at the end of the chain.
 */
export function nextInChain(chain: ChainPayload): { link: ChainLink; payload: JobPayload } | undefined {
  const [link, ...rest] = chain.next;
  if (link === undefined) return undefined;
  const carried = rest.length > 0 || chain.catch.length > 0;
  return { link, payload: carried ? { ...link.payload, chain: { next: rest, catch: chain.catch } } : link.payload };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function unknownKey(value: Record<string, unknown>, known: ReadonlySet<string>): string | undefined {
  return Object.keys(value).find((key) => !known.has(key));
}
