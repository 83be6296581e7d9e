import { Socket } from 'node:net';

/**
 * Runs once before the test files: tells them whether the local Redis answers
 * (EPILOGUE_REDIS=up|down) and whether PostgreSQL accepts connections (EPILOGUE_POSTGRES=up|down),
 * so that a missing server is reported once and clearly.
 */
export default async function globalSetup(): Promise<void> {
  const postgres = await answers(5432);
  process.env.EPILOGUE_POSTGRES = postgres ? 'up' : 'down';
  if (!postgres) console.warn('\nPostgreSQL does not answer on 127.0.0.1:5432: the tests that need it are skipped (failed under CI=true).\n');
  const up = await answers(6379, (socket, done) => {
    socket.write('PING\r\n');
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
  process.env.EPILOGUE_REDIS = up ? 'up' : 'down';
  if (!up) console.warn('\nRedis does not answer on 127.0.0.1:6379: the tests that need it are skipped (failed under CI=true).\n');
}

// Whether a server listens on the local port (and, with `greet`, gives the answer it checks).
function answers(port: number, greet?: (socket: Socket, done: (answer: boolean) => void) => void): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = new Socket();
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => (greet === undefined ? done(true) : greet(socket, done)));
  });
}
