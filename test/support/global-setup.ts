import { Socket } from 'node:net';

/**
 * Runs once before the test files: tells them whether the local Redis answers
 * (EPILOGUE_REDIS=up|down), so that a missing Redis is reported once and clearly.
 */
export default async function globalSetup(): Promise<void> {
  const up = await new Promise<boolean>((resolve) => {
    const socket = new Socket();
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(6379, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
  process.env.EPILOGUE_REDIS = up ? 'up' : 'down';
  if (!up) console.warn('\nRedis does not answer on 127.0.0.1:6379: the tests that need it are skipped (failed under CI=true).\n');
}
