// Hono on Node through @hono/node-server, wrapped by the fetch adapter: starts on a free port,
// registers a user through a real HTTP request and prints when the client had its response and
// when the after-response job started and finished. Node has no waitUntil: the job starts once
// the Node response under @hono/node-server has been flushed.
import { serve, type HttpBindings } from '@hono/node-server';
import { defer } from '@epilogue/core';
import { handle } from '@epilogue/fetch';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { createApp, nextUser, SendWelcomeEmail, Timeline, stopApp } from './app.js';

const app = await createApp();
const timeline = app.make(Timeline);

const hono = new Hono<{ Bindings: HttpBindings }>().post('/register', (c) => {
  const user = nextUser();
  SendWelcomeEmail.dispatchAfterResponse(user);
  defer(() => timeline.mark(`deferred: audit log written for user ${user.id}`));
  c.env.outgoing.on('finish', () => timeline.mark('response flushed to the socket'));
  return c.json({ ok: true, user }, 201);
});

const port = await new Promise<number>((resolve) => {
  const server = serve({ fetch: handle(app, hono.fetch), port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
    resolve(info.port),
  );
  app.onShutdownStart(() => server.close());
});

const start = performance.now();
timeline.mark('request sent');
const response = await fetch(`http://127.0.0.1:${port}/register`, { method: 'POST' });
timeline.mark(`response received by the client: ${response.status} ${await response.text()}`);

// Shutdown stops taking requests and waits for in-flight after-response work.
await stopApp(app);

console.log('Hono on @hono/node-server + @epilogue/fetch: the welcome email is sent after the response.\n');
for (const { at, what } of timeline.events.sort((a, b) => a.at - b.at)) {
  console.log(`${`+${(at - start).toFixed(1)} ms`.padStart(12)}  ${what}`);
}
