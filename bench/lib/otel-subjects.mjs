// The subjects OpenTelemetry instruments, shared by bench/dispatch.mjs (rates) and
// bench/otel-instructions.mjs (instruction counts).
import { importPackage } from './paths.mjs';

/**
 * The subjects OpenTelemetry instruments: a scope's end with one callback (a span per step when
 * the API is there) and a dispatch to the sync connection (a send and a process span).
 */
export async function otelSubjects() {
  await import('reflect-metadata');
  const { Application } = await importPackage('core');
  const { Job, ShouldQueue } = await importPackage('bus');
  const { configureQueues, SyncDriver } = await importPackage('queue');
  class Noop extends Job {
    async handle() {
      return 1;
    }
  }
  class QueuedNoop extends Job {
    async handle() {
      return 1;
    }
  }
  ShouldQueue()(QueuedNoop);
  const app = new Application({ report: (error) => console.error('[bench] reported', error) });
  configureQueues(app, { default: 'sync', connections: { sync: new SyncDriver() } });
  const callback = () => new Noop().handle();
  return {
    'scope end, 1 callback': async (n) => {
      for (let i = 0; i < n; i++) {
        const scope = app.createScope('console');
        scope.terminating(callback, 'Noop');
        await scope.finish(true);
      }
    },
    'dispatch to a sync connection': async (n) => {
      for (let i = 0; i < n; i++) await QueuedNoop.dispatch();
    },
  };
}
