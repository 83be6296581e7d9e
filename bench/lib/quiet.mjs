// The machine must be otherwise idle for the numbers to mean anything: with 2 cores, one other
// busy process takes the core the load generator or the server needs. Before each benchmark,
// wait (a little) for other processes to calm down, and say so when they do not.
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * CPU time used by all processes of the machine so far, in seconds (Linux; 0 elsewhere). Taken
 * around a load run and less the server's and the load generator's own CPU time, it tells how
 * much other processes took meanwhile.
 */
export function machineCpuSeconds() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '));
    // user nice system idle iowait irq softirq steal
    const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number);
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/**
 * How busy the machine is, in cores, over `ms` milliseconds (0 = idle, 2 = both cores busy).
 * Only meaningful while this process and its children are idle.
 */
export async function busyCores(ms = 1000) {
  const before = machineCpuSeconds();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (machineCpuSeconds() - before) / (ms / 1000);
}

/**
 * Waits up to `maxSeconds` for the machine to be quiet (under 0.25 busy cores).
 *
 * @returns The busy cores measured last (for the report).
 */
export async function waitForQuiet(log, maxSeconds = 60) {
  const deadline = Date.now() + maxSeconds * 1000;
  let busy = await busyCores();
  if (busy < 0.25) return busy;
  log(`  (the machine is busy: ${busy.toFixed(2)} cores in use by other processes; waiting up to ${maxSeconds} s)`);
  while (busy >= 0.25 && Date.now() < deadline) busy = await busyCores(2000);
  if (busy >= 0.25) log(`  (still ${busy.toFixed(2)} cores busy: the numbers below are noisier than they should be)`);
  return busy;
}
