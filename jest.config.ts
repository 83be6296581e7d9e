import type { Config } from 'jest';

// Tests run the TypeScript sources through SWC (decorator metadata included); workspace
// packages resolve to their src/ so no build is needed (the tests' private helpers,
// @epilogue-internal/test-support, to test/support/), and the ESM-only dependencies are
// transformed: cookie (loaded by light-my-request for fastify.inject()).
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
};

// scripts/bullmq-range.mjs runs @epilogue/bullmq's tests on another BullMQ of its peer range,
// installed with ioredis in this node_modules directory.
const bullmqModules = process.env.EPILOGUE_BULLMQ_DIR;
const fromBullmqModules = (name: string) =>
  bullmqModules ? { [`^${name}$`]: `${bullmqModules}/${name}`, [`^${name}/(.*)$`]: `${bullmqModules}/${name}/$1` } : {};

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', swc] },
  transformIgnorePatterns: ['/node_modules/(?!\\.pnpm/cookie@|cookie/)'],
  moduleNameMapper: {
    ...fromBullmqModules('bullmq'),
    ...fromBullmqModules('ioredis'),
    '^@epilogue/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@epilogue/testing/jest$': '<rootDir>/packages/testing/src/jest.ts',
    '^@epilogue/queue/(driver|testing|cli)$': '<rootDir>/packages/queue/src/$1.ts',
    '^@epilogue-internal/test-support/([a-z-]+)$': '<rootDir>/test/support/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 20_000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
};

export default config;
