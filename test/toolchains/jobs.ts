// The jobs of the TypeScript fixtures, in the form that works with every compiler: explicit
// @autowire(Mailer) tokens and @ShouldQueue(). The runner copies this file into each fixture,
// which compiles it with its own toolchain (legacy or standard decorators, with or without
// metadata). AutowireWithoutTokens shows what a bare @autowire() does under that toolchain.
import { autowire, Job, ShouldQueue } from '@epilogue/bus';
import { Mailer } from '../../../scenario/index.js';

/** Runs after the response: sends the welcome mail. */
export class SendWelcomeEmail extends Job {
  constructor(public user: { email: string }) {
    super();
  }

  @autowire(Mailer)
  async handle(mailer: Mailer): Promise<void> {
    await mailer.send(this.user.email, 'Welcome');
  }
}

/** Queued: a worker sends the invoice. */
@ShouldQueue()
export class SendInvoice extends Job {
  constructor(public invoiceId: number) {
    super();
  }

  @autowire(Mailer)
  async handle(mailer: Mailer): Promise<void> {
    await mailer.send('billing@example.test', `invoice ${this.invoiceId}`);
  }
}

/** Relies on recorded parameter types: resolves only where the toolchain emits decorator metadata. */
export class AutowireWithoutTokens extends Job {
  @autowire()
  async handle(mailer: Mailer): Promise<void> {
    await mailer.send('metadata@example.test', 'recorded');
  }
}
