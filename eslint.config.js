import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The TypeScript sources, tests and examples, all in the root tsconfig.json.
const TYPED = ['packages/*/src/**/*.{ts,mts}', 'packages/*/test/**/*.ts', 'test/**/*.ts', 'examples/src/**/*.ts'];

export default tseslint.config(
  // test/lint/fixtures holds code the rules must refuse; test/lint/no-cycle.test.ts lints it.
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'test/lint/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "ThrowStatement > NewExpression[callee.name='Error']",
          message: 'Throw a typed EpilogueError subclass with a code instead.',
        },
      ],
    },
  },
  {
    // No import cycles between the TypeScript sources. `@epilogue/*` resolves through the root
    // tsconfig's paths to each package's src/, so a cycle through a package's index is seen too.
    // Type-only imports do not count: they are erased and cannot change the order modules load in.
    // Dependencies in node_modules are not walked (ignoreExternal), which keeps `eslint .` fast.
    files: TYPED,
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Type-aware rules for the TypeScript the root tsconfig.json compiles (one program for all of it).
    // The library promises never an unhandled rejection: a promise is awaited, handled, or marked
    // `void` where it is already handled (a `.catch` that reports, or a function that never rejects).
    // test/toolchains is outside that tsconfig (each fixture is its own project) and the no-cycle
    // test lints test/lint/fixtures on their own, where a whole-repository program is too slow:
    // both stay untyped.
    files: TYPED,
    ignores: ['test/toolchains/**', 'test/lint/fixtures/**'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['**/*.test.ts', 'packages/*/test/**', 'test/**/fixtures/**', 'test/toolchains/**', 'packages/*/src/**/fixtures/**', 'bench/**', 'scripts/**', 'examples/**'],
    rules: { 'no-restricted-syntax': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // CommonJS files: the toolchain fixture of a CommonJS application, and the toolchains' scenario.
    files: ['**/*.cjs', 'test/toolchains/scenario/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
