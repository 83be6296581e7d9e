import { claimProblems, type TimelineEvent } from './claim.js';

const user = { id: 1, email: 'user1@example.test' };

// A timeline as the demo records it, each line at the given millisecond.
const timeline = (lines: Record<string, number>): TimelineEvent[] => Object.entries(lines).map(([what, at]) => ({ at, what }));

const inOrder = {
  'request sent': 0,
  'response flushed to the socket': 50,
  'SendWelcomeEmail started for user 1': 52,
  'response received by the client: 200 {}': 63,
  'mail "Welcome" arrived at the SMTP server for user1@example.test': 90,
};

it('holds when the response was sent before the job started and the mail arrived after it', () => {
  expect(claimProblems(timeline(inOrder), user)).toEqual([]);
});

it('fails when the job started before the response was sent', () => {
  const events = timeline({ ...inOrder, 'SendWelcomeEmail started for user 1': 40 });
  expect(claimProblems(events, user)).toEqual(['SendWelcomeEmail started 10.0 ms before the response was sent.']);
});

it('fails when no mail arrived for the user', () => {
  const { 'mail "Welcome" arrived at the SMTP server for user1@example.test': _arrived, ...rest } = inOrder;
  expect(claimProblems(timeline(rest), user)).toEqual(['No welcome email arrived for user1@example.test.']);
});

it("fails when the user was given another user's address", () => {
  const events = timeline({ ...inOrder, 'mail "Welcome" arrived at the SMTP server for user2@example.test': 90 });
  expect(claimProblems(events, { id: 1, email: 'user2@example.test' })).toEqual(['user 1 was registered as user2@example.test.']);
});
