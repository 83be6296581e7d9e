// The job of the overload benchmark, shared by the server that dispatches it and the worker
// process that runs what overflowed: it carries an id and a 1 KB argument, and awaits 2 s (a slow
// SMTP server). `SlowMail` is marked `@ShouldQueue()`, so the overflow connection may take it,
// and the worker rebuilds it by that name.
import { setTimeout as sleep } from 'node:timers/promises';
import { importPackage } from './paths.mjs';

/** How long each job awaits. */
export const JOB_MS = 2000;
/** The size of each job's argument. */
export const ARGUMENT_BYTES = 1024;

/**
 * Defines `SlowMail`; every run calls `ran(id)` once its wait is over.
 *
 * @param {(id: number) => void} ran
 */
export async function defineSlowMail(ran) {
  await import('reflect-metadata');
  const { Job, ShouldQueue } = await importPackage('bus');
  class SlowMail extends Job {
    constructor(id, body) {
      super();
      this.id = id;
      this.body = body;
    }
    async handle() {
      await sleep(JOB_MS);
      ran(this.id);
    }
  }
  ShouldQueue()(SlowMail);
  return SlowMail;
}

/** A 1 KB argument, different for every id. */
export function argumentFor(id) {
  const head = `message ${id} `;
  return head + 'x'.repeat(ARGUMENT_BYTES - head.length);
}
