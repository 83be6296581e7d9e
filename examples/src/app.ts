// The example application shared by the demos and the long-running server: a user registers,
// the response goes out at once, and the welcome email is sent after the response, over SMTP, to
// a local mail server that the application starts (and stops at its shutdown).
import { Application, defer, inject, injectable, singleton } from '@epilogue/core';
import { autowire, Job } from '@epilogue/bus';
import type { IncomingMessage, ServerResponse } from 'node:http';
import nodemailer, { type Transporter } from 'nodemailer';
import { startMailServer, type MailServer } from './mail-server.js';

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

let lastId = 0;

/** A new user: `{ id: 1, email: 'user1@example.test' }`, then 2... */
export function nextUser(): User {
  const id = ++lastId;
  return { id, email: `user${id}@example.test` };
}

/** The container token of the SMTP transport the mailer sends through. */
export const MAIL_TRANSPORT = Symbol('MailTransport');

/** Sends mail through the application's SMTP transport. */
@injectable()
export class Mailer {
  constructor(@inject(MAIL_TRANSPORT) private readonly transport: Transporter) {}
  async send(to: string, subject: string): Promise<void> {
    await this.transport.sendMail({ from: 'welcome@example.test', to, subject, text: `${subject}!` });
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

const mailServers = new WeakMap<Application, MailServer>();

/**
 * Builds the application and starts its mail server; `report` logs failures of after-response
 * work. Stop both with `stopApp()`.
 */
export async function createApp(): Promise<Application> {
  const app = new Application({
    report: (error, context) => console.error('[report]', context, error),
  });
  const timeline = app.make(Timeline);
  const mailServer = await startMailServer(({ to, subject }) =>
    timeline.mark(`mail "${subject}" arrived at the SMTP server for ${to.join(', ')}`),
  );
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mailServer.port, secure: false, ignoreTLS: true });
  app.container.registerInstance(MAIL_TRANSPORT, transport);
  mailServers.set(app, mailServer);
  return app;
}

/**
 * Shuts the application down, which lets in-flight responses and their after-response work
 * finish, then stops its mail server (as an `onShutdown` hook would, at the end of the shutdown).
 */
export async function stopApp(app: Application): Promise<void> {
  await app.shutdown({ timeoutMs: 5_000 });
  app.make<Transporter>(MAIL_TRANSPORT).close();
  await mailServers.get(app)?.close();
}

/** The HTTP handler: POST /register creates a user and answers at once. */
export function handler(app: Application) {
  const timeline = app.make(Timeline);
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method === 'POST' && request.url === '/register') {
      const user = nextUser();
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
