import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/vendor/**', '**/.vitest/**', '**/.doc-snippets/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Encoders, neurons and blocks must run in a browser: no Node built-ins there.
    },
  },
  {
    files: ['packages/{encoders,neurons,blocks}/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', 'fs', 'path', 'worker_threads', '@hybridspike/core/node'] },
      ],
    },
  },
);
