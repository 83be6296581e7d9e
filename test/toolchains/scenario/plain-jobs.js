// The scenario's jobs in plain JavaScript, without decorators: autowire() and ShouldQueue() are
// called as functions on the classes. Built from the @epilogue/bus module the fixture loaded (by
// import or by require()), so each fixture shows its own way of loading the package.
const { Mailer } = require('./index.js');

/**
 * @param {typeof import('@epilogue/bus')} bus - The @epilogue/bus module, however it was loaded.
 * @returns The two job classes.
 */
function plainJavaScriptJobs({ autowire, Job, ShouldQueue }) {
  class SendWelcomeEmail extends Job {
    constructor(user) {
      super();
      this.user = user;
    }

    async handle(mailer) {
      await mailer.send(this.user.email, 'Welcome');
    }
  }

  class SendInvoice extends Job {
    constructor(invoiceId) {
      super();
      this.invoiceId = invoiceId;
    }

    async handle(mailer) {
      await mailer.send('billing@example.test', `invoice ${this.invoiceId}`);
    }
  }

  autowire(Mailer)(SendWelcomeEmail.prototype, 'handle');
  autowire(Mailer)(SendInvoice.prototype, 'handle');
  ShouldQueue()(SendInvoice);
  return { SendWelcomeEmail, SendInvoice };
}

module.exports = { plainJavaScriptJobs };
