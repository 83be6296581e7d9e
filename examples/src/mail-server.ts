// A local SMTP server for the examples, on 127.0.0.1 and a free port: the welcome email really
// travels over SMTP, and the timeline shows when it arrived.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message the server accepted. */
export interface ReceivedMail {
  to: string[];
  subject: string;
}

/** A running mail server. */
export interface MailServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts an SMTP server that accepts every message, without authentication or TLS.
 *
 * @param onMail - Called once per message, when the whole message has arrived.
 * @returns The server, listening.
 */
export async function startMailServer(onMail: (mail: ReceivedMail) => void): Promise<MailServer> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let message = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (message += chunk));
      stream.on('end', () => {
        const subject = /^Subject: (.*)$/im.exec(message)?.[1]?.trim() ?? '';
        onMail({ to: session.envelope.rcptTo.map((recipient) => recipient.address), subject });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
