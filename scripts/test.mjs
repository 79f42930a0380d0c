// `npm test`: everything, in order — lint, format, types, build, unit + engine + contract tests,
// then the end-to-end tests in Chromium (and in Electron where its binary exists).
import { spawnSync } from 'node:child_process';
import { chooseChromium } from './chromium-path.mjs';
import { electronBinary } from './electron-binary.mjs';

const bin = (/** @type {string} */ name) => `node_modules/.bin/${name}`;
/** @type {[string, string, string[]][]} */
const steps = [
  // The UI's messages compiled (renderer/lib/i18n/paraglide, not committed): lint, types and tests import them.
  [
    'messages',
    bin('paraglide-js'),
    [
      'compile',
      '--project',
      './project.inlang',
      '--outdir',
      './renderer/lib/i18n/paraglide',
      '--strategy',
      'globalVariable',
      'baseLocale',
      '--emit-ts-declarations',
      '--silent',
    ],
  ],
  ['lint', bin('eslint'), ['.']],
  ['format', bin('prettier'), ['--check', '.', '--log-level', 'warn']],
  // One program per runtime: Node code without DOM types, Playwright suites, the renderer without Node types.
  ['types (node)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.node.json']],
  ['types (e2e)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.e2e.json']],
  [
    'types (svelte)',
    bin('svelte-check'),
    ['--tsconfig', './tsconfig.web.json', '--fail-on-warnings', '--output', 'human'],
  ],
  ['build', bin('electron-vite'), ['build']],
  ['unit, engine and contract tests', bin('vitest'), ['run']],
  ['end-to-end tests', bin('playwright'), ['test']],
];

const browser = chooseChromium();
const chromium = browser.path;
if (browser.path) console.log(`forkscope: end-to-end tests will use ${browser.source} (${browser.path})`);
else
  console.error(`forkscope: no Chromium for the end-to-end tests: ${browser.reason}. Everything else runs.`);
const electron = electronBinary();
if (!electron.path) console.log(`forkscope: Electron e2e tests will be skipped: ${electron.reason}.`);

/** @type {[string, string][]} */
const results = [];
for (const [name, command, args] of steps) {
  if (name === 'end-to-end tests' && !chromium) {
    results.push([name, `failed (no Chromium: ${browser.reason})`]);
    continue;
  }
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push([
    name,
    result.status === 0 ? `ok (${seconds} s)` : `FAILED (exit ${result.status ?? result.signal})`,
  ]);
  // Without a build nothing after it can run.
  if (name === 'build' && result.status !== 0) break;
}

console.log('\nSummary');
for (const [name, outcome] of results) console.log(`  ${name.padEnd(34)} ${outcome}`);
if (chromium) console.log(`  (browser: ${browser.source}, ${chromium})`);
const failed = results.filter(([, outcome]) => !outcome.startsWith('ok')).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
