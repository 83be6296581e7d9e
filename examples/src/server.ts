// Keeps the example server running for manual tries:
//   curl -X POST http://127.0.0.1:3000/register
// Stop it with Ctrl-C: in-flight responses and their after-response jobs finish first.
import { serve } from '@epilogue/node-http';
import { createApp, handler, Timeline } from './app.js';

const app = await createApp();
const timeline = app.make(Timeline);
const port = Number(process.env.PORT ?? 3000);
const originalMark = timeline.mark.bind(timeline);
timeline.mark = (what) => {
  originalMark(what);
  console.log(`${new Date().toISOString()}  ${what}`);
};
await serve(app, handler(app), { port, host: '127.0.0.1' });
console.log(`Listening on http://127.0.0.1:${port} — try: curl -X POST http://127.0.0.1:${port}/register`);
