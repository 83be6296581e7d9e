import { InvalidPayloadError } from '../errors.js';
import type { JobRegistry } from '../registry/job-registry.js';
import type { ChainLink, ChainPayload, JobPayload } from './job-payload.js';

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

/**
 * A chain with the jobs its running job added: `prepended` run first, then the rest of the
 * chain, then `appended`. A job that was in no chain starts one.
 *
 * @param chain - The running job's chain, if any.
 * @param prepended - The links to run next, in order.
 * @param appended - The links to run last, in order.
 * @returns The chain, unchanged when nothing was added.
 */
export function withAddedJobs(
  chain: ChainPayload | undefined,
  prepended: readonly ChainLink[],
  appended: readonly ChainLink[],
): ChainPayload | undefined {
  if (prepended.length === 0 && appended.length === 0) return chain;
  return { next: [...prepended, ...(chain?.next ?? []), ...appended], catch: chain?.catch ?? [] };
}
