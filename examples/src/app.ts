// The example application shared by the demo and the long-running server: a user registers,
// the response goes out at once, and the welcome email is sent after the response.
import { Application, defer, injectable, singleton } from '@epilogue/core';
import { autowire, Job } from '@epilogue/bus';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** When things happened, in milliseconds since the process started. */
@singleton()
export class Timeline {
  readonly events: { at: number; what: string }[] = [];
  mark(what: string): void {
    this.events.push({ at: performance.now(), what });
  }
}

export interface User {
  id: number;
  email: string;
}

/** Stands in for a real mail transport: sending takes a while. */
@injectable()
export class Mailer {
  constructor(private readonly timeline: Timeline) {}
  async send(to: string, subject: string): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 800));
    this.timeline.mark(`mail "${subject}" sent to ${to}`);
  }
}

export class SendWelcomeEmail extends Job {
  constructor(public user: User) {
    super();
  }

  @autowire()
  async handle(mailer: Mailer, timeline: Timeline): Promise<void> {
    timeline.mark(`SendWelcomeEmail started for user ${this.user.id}`);
    await mailer.send(this.user.email, 'Welcome');
    timeline.mark(`SendWelcomeEmail finished for user ${this.user.id}`);
  }
}

let nextId = 1;

/** Builds the application; `report` logs failures of after-response work. */
export function createApp(): Application {
  return new Application({
    report: (error, context) => console.error('[report]', context, error),
  });
}

/** The HTTP handler: POST /register creates a user and answers at once. */
export function handler(app: Application) {
  const timeline = app.make(Timeline);
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method === 'POST' && request.url === '/register') {
      const user: User = { id: nextId++, email: `user${nextId}@example.test` };
      SendWelcomeEmail.dispatchAfterResponse(user);
      defer(() => timeline.mark(`deferred: audit log written for user ${user.id}`));
      response.setHeader('content-type', 'application/json');
      response.on('finish', () => timeline.mark('response flushed to the socket'));
      response.end(JSON.stringify({ ok: true, user }));
      return;
    }
    response.statusCode = 404;
    response.end('Try: curl -X POST http://127.0.0.1:3000/register\n');
  };
}
