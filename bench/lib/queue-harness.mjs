// Process and Redis plumbing for the queue benchmark: each side runs in its own child process
// (queue-child.mjs) that the orchestrator talks to over IPC, and the orchestrator reads what Redis
// itself spent, and cleans up the run's keys, with a connection of its own.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// A request that does not end (a worker that never drains) must not hang the whole run.
const REQUEST_LIMIT_MS = 60_000;

/**
 * Forks one side (`bare` or `driver`) working under the key prefix `prefix`.
 *
 * @returns {Promise<{ name: string, request(message: object): Promise<{ reply: unknown, ms: number, cpuMicros: number }>, stop(): Promise<void> }>}
 */
export async function startSide(name, prefix) {
  const child = fork(join(here, 'queue-child.mjs'), [name, prefix], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let next = 0;
  child.on('message', (message) => {
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${name}: ${message.error}`));
    else waiter.resolve(message);
  });
  const [ready] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the ${name} process exited with code ${code} before it was ready`);
    }),
  ]);
  if (!ready.ready) throw new Error(`the ${name} process did not start`);
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the ${name} process exited with code ${code}`));
    pending.clear();
  });

  const request = (message) => {
    const id = ++next;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        child.kill('SIGTERM');
        reject(new Error(`the ${name} process did not answer ${message.type} within ${REQUEST_LIMIT_MS / 1000} s`));
      }, REQUEST_LIMIT_MS);
      const settle = (fn) => (value) => {
        clearTimeout(timer);
        fn(value);
      };
      pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      child.send({ ...message, id });
    });
  };

  return {
    name,
    request,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      await request({ type: 'close' }).catch(() => undefined);
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGTERM'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Redis's own CPU time so far (seconds) and the number of Lua scripts it ran (EVALSHA and EVAL:
 * each is one round trip of a BullMQ command). Both count the whole server, not only this run.
 */
export async function redisUsage(redis) {
  const [cpu, stats] = await Promise.all([redis.info('cpu'), redis.info('commandstats')]);
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  const calls = (command) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  return {
    cpu: field('used_cpu_user') + field('used_cpu_sys'),
    scripts: calls('evalsha') + calls('eval'),
  };
}

/**
 * Deletes every key that starts with `prefix`, and only those.
 *
 * @returns {Promise<number>} How many keys there were.
 */
export async function deleteKeys(redis, prefix) {
  let deleted = 0;
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = nextCursor;
  } while (cursor !== '0');
  return deleted;
}
