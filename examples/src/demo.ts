// Starts the example server on a free port, registers a user through a real HTTP request and
// prints when the client had its response and when the after-response job started and finished.
import { serve } from '@epilogue/node-http';
import type { AddressInfo } from 'node:net';
import { createApp, handler, Timeline } from './app.js';

const app = createApp();
const timeline = app.make(Timeline);
const server = await serve(app, handler(app), { port: 0, signals: [] });
const { port } = server.address() as AddressInfo;

const start = performance.now();
timeline.mark('request sent');
const response = await fetch(`http://127.0.0.1:${port}/register`, { method: 'POST' });
const body = await response.text();
timeline.mark(`response received by the client: ${response.status} ${body}`);

// Wait for the after-response work, then stop gracefully (which would also wait for it).
await app.shutdown({ timeoutMs: 5_000 });
server.close();

console.log('Epilogue demo: POST /register answers at once; the welcome email is sent after the response.\n');
for (const { at, what } of timeline.events.sort((a, b) => a.at - b.at)) {
  console.log(`${`+${(at - start).toFixed(1)} ms`.padStart(12)}  ${what}`);
}
const received = timeline.events.find((event) => event.what.startsWith('response received'));
const finished = timeline.events.find((event) => event.what.startsWith('SendWelcomeEmail finished'));
if (!received || !finished || finished.at < received.at) {
  console.error('\nUnexpected order: the job should finish after the client got its response.');
  process.exit(1);
}
console.log(`\nThe client waited ${(received.at - start).toFixed(1)} ms; the job ran for another ${(finished.at - received.at).toFixed(1)} ms after that.`);
