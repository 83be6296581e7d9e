// `npm run demo` runs examples/dist/demo.js: a real request to the example server, whose
// welcome email goes over SMTP to a local mail server. It exits 0 only when the README's claim
// holds (the response is sent before the email job starts), which claim.test.ts checks in detail.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { buildProjects, repositoryRoot } from '../../test/adapters/build-packages.js';

function runDemo(): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repositoryRoot, 'examples', 'dist', 'demo.js')], { timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

it('the demo sends the response before the email job starts, delivers the mail to user 1, and exits 0', async () => {
  await buildProjects(['examples']);
  const { code, output } = await runDemo();
  expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('before the job started') });
  expect(output).toContain('response received by the client: 200 {"ok":true,"user":{"id":1,"email":"user1@example.test"}}');
  expect(output).toContain('mail "Welcome" arrived at the SMTP server for user1@example.test');
}, 60_000);
