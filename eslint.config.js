import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const noElectron = {
  name: 'electron',
  message: 'Only main/electron/ and preload/ import Electron: this code also runs in plain Node.',
};

/** The engine, child/ folders included, never imports the layers above it. */
const engineAbove = {
  regex: String.raw`^(\.\./)+(api|serve|electron|recording|cli|hosts)(/|$)`,
  message: 'The engine never imports the layers above it (main/api, the transports, recording, cli, hosts).',
};

export default ts.config(
  {
    ignores: [
      'out/',
      'dist/',
      'node_modules/',
      'test-results/',
      'playwright-report/',
      'renderer/lib/i18n/paraglide/',
    ],
  },
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
  // Layers keep to their side (ARCHITECTURE.md, "Layout"); tests/unit/layers.test.ts proves these rules exist.
  // In a flat config a later block replaces a rule's options, so each block lists every ban its files obey.
  {
    // The api layer and serve mode run in plain Node (serve mode, tests): Electron must never leak into them.
    files: ['main/api/**', 'main/serve/**', 'main/hosts/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] },
  },
  {
    // The engine knows nothing of who drives it: no Electron, api layer, transport, recording or command line.
    files: ['main/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [engineAbove],
        },
      ],
    },
  },
  {
    // The contract is shared by every runtime: it imports zod and its own files, nothing else of ours.
    files: ['contract/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            { regex: String.raw`^\.\./`, message: 'contract/ imports nothing of ours outside contract/.' },
          ],
        },
      ],
    },
  },
  {
    // The renderer is browser code: it reaches the engine only through contract/ and its transport.
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'The renderer is browser code: it talks through the contract client.',
            },
          ],
          patterns: [
            {
              regex: String.raw`(^|/)main/`,
              message:
                'The renderer never imports main/: it calls the engine through contract/ and its transport.',
            },
            { regex: '^node:', message: 'The renderer is browser code: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    // A boundary's child/ folder runs inside a child process (its own build entry, its own copy of
    // what it imports): it speaks its boundary's protocol and never pulls in the engine's side
    // (ARCHITECTURE.md, the map of the boundaries). The engine's bans hold here too.
    files: ['main/engine/*/child/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            engineAbove,
            {
              group: [
                '**/engine',
                '**/registry',
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
