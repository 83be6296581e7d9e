// The load generator, run in its own process (forked by harness.mjs) so that autocannon never
// shares an event loop with the server it measures. It receives run requests over IPC and
// answers with a summary; on request it also records every response's exact latency (autocannon's
// own histogram has 1 ms resolution, too coarse for sub-millisecond responses).
import autocannon from 'autocannon';
import { percentile } from './stats.mjs';

process.on('message', async ({ id, options, exactLatency }) => {
  try {
    const latencies = [];
    const cpuBefore = process.cpuUsage();
    const instance = autocannon(options);
    if (exactLatency) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode === 200) latencies.push(responseTime);
      });
    }
    const result = await instance;
    const cpu = process.cpuUsage(cpuBefore);
    const summary = {
      loaderCpuSeconds: (cpu.user + cpu.system) / 1e6,
      requests: result.requests.total,
      duration: result.duration,
      rps: result.requests.total / result.duration,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    };
    if (exactLatency) {
      summary.exact = {
        count: latencies.length,
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: percentile(latencies, 100),
      };
    }
    process.send({ id, summary });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
