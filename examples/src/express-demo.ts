// Express 5 with the Epilogue middleware: starts on a free port, registers a user through a real
// HTTP request and prints when the client had its response and when the after-response job
// started and finished. Then it stops gracefully.
import { defer } from '@epilogue/core';
import { epilogue, reportErrors } from '@epilogue/express';
import express from 'express';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createApp, nextUser, SendWelcomeEmail, Timeline, stopApp } from './app.js';

const app = await createApp();
const timeline = app.make(Timeline);

const expressApp = express();
expressApp.use(epilogue(app));
expressApp.post('/register', (_req, res) => {
  const user = nextUser();
  SendWelcomeEmail.dispatchAfterResponse(user);
  defer(() => timeline.mark(`deferred: audit log written for user ${user.id}`));
  res.on('finish', () => timeline.mark('response flushed to the socket'));
  res.status(201).json({ ok: true, user });
});
expressApp.use(reportErrors(app));

const server = expressApp.listen(0, '127.0.0.1');
await once(server, 'listening');
app.onShutdownStart(() => server.close());
const { port } = server.address() as AddressInfo;

const start = performance.now();
timeline.mark('request sent');
const response = await fetch(`http://127.0.0.1:${port}/register`, { method: 'POST' });
timeline.mark(`response received by the client: ${response.status} ${await response.text()}`);

// Shutdown stops taking requests and waits for in-flight after-response work.
await stopApp(app);

console.log('Express + @epilogue/express: the welcome email is sent after the response.\n');
for (const { at, what } of timeline.events.sort((a, b) => a.at - b.at)) {
  console.log(`${`+${(at - start).toFixed(1)} ms`.padStart(12)}  ${what}`);
}
