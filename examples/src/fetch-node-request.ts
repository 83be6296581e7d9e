// The fetch adapter on Node's own Request and Response, without any server: first as plain Node
// calls it (no waitUntil), where the after-response job waits until the body has been read to
// the end; then with a waitUntil, as Cloudflare Workers or Vercel would call it, where the job
// starts right after the response is returned and the platform is told to wait for it.
import { Dispatcher } from '@epilogue/bus';
import { handle } from '@epilogue/fetch';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, nextUser, SendWelcomeEmail, Timeline, stopApp } from './app.js';

const app = await createApp();
const timeline = app.make(Timeline);

const respond = handle(app, (request: Request) => {
  const user = nextUser();
  SendWelcomeEmail.dispatchAfterResponse(user);
  timeline.mark(`handler answered ${request.method} ${new URL(request.url).pathname} for user ${user.id}`);
  return Response.json({ ok: true, user }, { status: 201 });
});

// Resolves when the next job has finished running.
const jobFinished = () =>
  new Promise<void>((resolve) => {
    const off = app.make(Dispatcher).on('processed', () => {
      off();
      resolve();
    });
  });

const start = performance.now();

// 1. No waitUntil (plain Node, Bun): nothing runs until the body has been read.
const finishedWithoutWaitUntil = jobFinished();
const response = await respond(new Request('http://localhost/register', { method: 'POST' }));
timeline.mark(`[node] response returned: ${response.status}, body not read yet`);
await sleep(300);
timeline.mark('[node] 300 ms later, still nothing started; now reading the body');
const body = await response.text();
timeline.mark(`[node] body read to the end: ${body}`);
await finishedWithoutWaitUntil;

// 2. With waitUntil (Workers, Vercel): the job is handed to the platform right away.
const kept: Promise<unknown>[] = [];
const ctx = { waitUntil: (promise: Promise<unknown>) => void kept.push(promise) };
const second = await respond(new Request('http://localhost/register', { method: 'POST' }), ctx);
timeline.mark(`[waitUntil] response returned: ${second.status}; ${kept.length} promise handed to waitUntil`);
await Promise.all(kept);
timeline.mark('[waitUntil] the waitUntil promise settled: the platform may now freeze the isolate');

await stopApp(app);

console.log('@epilogue/fetch on Node Request/Response objects.\n');
for (const { at, what } of timeline.events.sort((a, b) => a.at - b.at)) {
  console.log(`${`+${(at - start).toFixed(1)} ms`.padStart(12)}  ${what}`);
}
