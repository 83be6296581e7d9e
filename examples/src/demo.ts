// Starts the example server (and its local SMTP server) on free ports, registers a user through
// a real HTTP request and prints when the response was sent, when the client had it, and when
// the after-response job started, sent its email and finished. It exits 0 only when what the
// README says holds: the response is sent before the email job even starts.
import { serve } from '@epilogue/node-http';
import type { AddressInfo } from 'node:net';
import { createApp, handler, Timeline, stopApp, type User } from './app.js';
import { claimProblems } from './claim.js';

const app = await createApp();
const timeline = app.make(Timeline);
const server = await serve(app, handler(app), { port: 0, signals: [] });
const { port } = server.address() as AddressInfo;

const start = performance.now();
timeline.mark('request sent');
const response = await fetch(`http://127.0.0.1:${port}/register`, { method: 'POST' });
const body = (await response.json()) as { ok: boolean; user: User };
timeline.mark(`response received by the client: ${response.status} ${JSON.stringify(body)}`);

// Wait for the after-response work, then stop gracefully, and stop the mail server.
await stopApp(app);
server.close();

console.log('Epilogue demo: POST /register answers at once; the welcome email is sent after the response.\n');
const at = (what: string) => timeline.events.find((event) => event.what.startsWith(what))?.at ?? Number.NaN;
for (const event of timeline.events.sort((a, b) => a.at - b.at)) {
  console.log(`${`+${(event.at - start).toFixed(1)} ms`.padStart(12)}  ${event.what}`);
}

const problems = claimProblems(timeline.events, body.user);
if (problems.length > 0) {
  console.error(`\nThe README's claim does not hold: the response should be sent before the email job starts.\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  process.exit(1);
}
const sent = at('response flushed to the socket');
console.log(
  `\nThe response was sent at +${(sent - start).toFixed(1)} ms, before the job started (+${(at('SendWelcomeEmail started') - start).toFixed(1)} ms);` +
    ` the client had it at +${(at('response received') - start).toFixed(1)} ms,` +
    ` and the welcome email reached the SMTP server at +${(at('mail "Welcome" arrived') - start).toFixed(1)} ms.`,
);
