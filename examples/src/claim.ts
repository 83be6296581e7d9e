// What the README says of the demo's request, checked against its timeline: the response is sent
// before the welcome-email job even starts, and the email (to the user's own address) arrives
// at the mail server after that.
import type { User } from './app.js';

/** One line of the timeline. */
export interface TimelineEvent {
  at: number;
  what: string;
}

/**
 * Checks the claim for one registered user.
 *
 * @param events - The timeline of the request.
 * @param user - The user the response named.
 * @returns What contradicts the claim, one sentence each; empty when it holds.
 */
export function claimProblems(events: readonly TimelineEvent[], user: User): string[] {
  const find = (text: string) => events.find((event) => event.what.startsWith(text));
  const sent = find('response flushed to the socket');
  const started = find(`SendWelcomeEmail started for user ${user.id}`);
  const arrived = find(`mail "Welcome" arrived at the SMTP server for ${user.email}`);
  const problems: string[] = [];
  if (user.email !== `user${user.id}@example.test`) problems.push(`user ${user.id} was registered as ${user.email}.`);
  if (!sent) problems.push('The response was never flushed to the socket.');
  if (!started) problems.push(`SendWelcomeEmail never started for user ${user.id}.`);
  if (sent && started && started.at < sent.at) {
    problems.push(`SendWelcomeEmail started ${(sent.at - started.at).toFixed(1)} ms before the response was sent.`);
  }
  if (!arrived) problems.push(`No welcome email arrived for ${user.email}.`);
  else if (sent && arrived.at < sent.at) problems.push('The welcome email arrived before the response was sent.');
  return problems;
}
