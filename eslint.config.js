// ESLint: TypeScript rules everywhere, and the import boundaries of DESIGN.md's layout.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.run/**', 'bench/results/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly', performance: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', NodeJS: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed: no Node, no I/O, nothing from activities, worker or client.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'workflow code must be deterministic: no Node built-ins' })),
            // Every module a workflow loads is evaluated again for each job and each replay in the sandbox.
            { name: '../contract', allowTypeImports: true, message: "import values from their module (e.g. '../contract/errors'): the index loads the spec schema (zod) into every workflow" },
          ],
          patterns: [
            { group: ['**/activities/**', '**/activities', '**/worker/**', '**/client/**', '**/dev/**'], message: 'workflows may import only contract/ and @temporalio/workflow' },
            { group: ['@temporalio/activity', '@temporalio/worker', '@temporalio/client', 'undici', '@aws-sdk/*'], message: 'not in workflow code' },
            { group: ['**/contract/jobSpec'], allowTypeImports: true, message: 'the spec schema is loaded only on demand (sparkJob.ts validatedSpec)' },
          ],
        },
      ],
    },
  },
  {
    // The contract is shared by everyone, so it depends on no one.
    files: ['contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'the contract is loaded by workflow code too' })),
          patterns: [{ group: ['../*', '!./*'], message: 'contract/ imports nothing of ours' }],
        },
      ],
    },
  },
  {
    files: ['activities/**/*.ts', 'client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/workflows/**', '**/worker/**', '**/dev/**', '**/test/**'], message: 'activities and client import only contract/' }] },
      ],
    },
  },
);
