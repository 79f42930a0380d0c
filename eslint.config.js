import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

export default ts.config(
  { ignores: ['out/', 'dist/', 'node_modules/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    // Example programs run as children, where Forkscope installs its child API.
    files: ['main/engine/examples/programs/**'],
    languageOptions: { globals: { forkscope: 'readonly' } },
  },
  {
    // The engine runs in plain Node (serve mode, tests): Electron must never leak into it.
    files: ['main/engine/**', 'contract/**', 'main/api/**', 'main/serve/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'] }] },
  },
  {
    // A boundary's child/ folder runs inside a child process (its own build entry, its own copy of
    // what it imports): it speaks its boundary's protocol and never pulls in the engine's side.
    files: ['main/engine/*/child/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [
            {
              group: [
                '**/engine',
                '**/registry',
                '**/api/**',
                '**/broker/**',
                '**/*-manager',
                '**/*-engine',
                '**/function-pool',
              ],
              message: 'Code in a child/ folder runs in the child: import only its protocol and helpers.',
            },
          ],
        },
      ],
    },
  },
);
