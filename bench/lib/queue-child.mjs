// One side of the queue benchmark in its own process (forked by bench/queue.mjs).
// argv: <bare|driver|overflow> <key prefix> (overflow: the overload benchmark's worker). It answers the orchestrator's requests over IPC, each with
// the wall time and this process's CPU time it took:
//
//   { type: 'enqueue', n }        add n no-op jobs
//   { type: 'drain', n }          process the n queued jobs with a fresh worker
//   { type: 'size' }              jobs waiting or running
//   { type: 'listen' }            start a worker that records dispatch-to-handle latencies
//   { type: 'heard' }             the latencies recorded since the last call
//   { type: 'produce', rate, seconds }   send timestamped jobs at a steady rate
//   { type: 'cpu' }               this process's CPU time so far, in µs
//   { type: 'close' }
import { overflowSide } from './overflow-side.mjs';
import { bareSide, driverSide, wallClock } from './queue-sides.mjs';

const [name, prefix] = process.argv.slice(2);
const factories = { bare: bareSide, driver: driverSide, overflow: overflowSide };
const side = await factories[name]({ prefix });

const handlers = {
  enqueue: ({ n }) => side.enqueue(n),
  drain: ({ n }) => side.drain(n),
  size: () => side.size(),
  listen: () => side.listen(),
  heard: () => side.heard(),
  produce: ({ rate, seconds }) => produce(rate, seconds),
  cpu: () => {
    const { user, system } = process.cpuUsage();
    return user + system;
  },
  close: () => side.close(),
};

process.on('message', async ({ id, type, ...args }) => {
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const reply = await handlers[type](args);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    process.send({ id, reply, ms, cpuMicros: used.user + used.system });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });

// Sends `rate` jobs per second for `seconds`, each stamped with its send time. A timer of ~1 ms
// sends whatever is due, so jobs go out one or two at a time, never in bursts.
async function produce(rate, seconds) {
  const total = Math.round(rate * seconds);
  const pending = [];
  const start = performance.now();
  while (pending.length < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (pending.length < due) pending.push(side.send(wallClock()));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return { sent: total, seconds: (performance.now() - start) / 1000 };
}
