import { spawnSync } from 'node:child_process';
import { resolve, sep } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { paraglideVitePlugin } from '@inlang/paraglide-js';
import type { Plugin } from 'vite';

/**
 * The scripts the engine forks: in a packaged app they run from outside the asar archive. Each
 * lives in the `child/` folder of its boundary; the built names are what the engine forks by
 * (and what electron-builder.yml unpacks), so they stay as they are.
 */
const childEntries = {
  'process-runner': resolve('main/engine/process/child/process-runner.ts'),
  'spawn-helper': resolve('main/engine/spawn/child/spawn-helper.ts'),
  'pool-worker': resolve('main/engine/pool/child/worker-main.ts'),
  watchdog: resolve('main/engine/containment/child/watchdog.ts'),
};
const childSuffix = '?forkscope-child';

/**
 * Gives the child scripts their own copy of every project module they import, in chunks of their
 * own (out/main/child-chunks/). Shared chunks would have to be unpacked from the asar for the
 * children, and then the main process would load unpacked — unprotected — code too: asar integrity
 * covers only the archive. So nothing the main process runs is ever outside it.
 */
function standaloneChildScripts(): Plugin {
  const entryFiles = new Set(Object.values(childEntries));
  const projectDir = resolve('.') + sep;
  return {
    name: 'forkscope:standalone-child-scripts',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!importer || options.isEntry) return null;
      const fromChild = importer.endsWith(childSuffix);
      if (!fromChild && !entryFiles.has(importer)) return null;
      const base = fromChild ? importer.slice(0, -childSuffix.length) : importer;
      const resolved = await this.resolve(source, base, { ...options, skipSelf: true });
      if (!resolved || resolved.external || !resolved.id.startsWith(projectDir)) return resolved;
      if (resolved.id.includes(`${sep}node_modules${sep}`)) return resolved;
      return { ...resolved, id: resolved.id + childSuffix };
    },
  };
}

/**
 * The native spawn helper (main/engine/spawn/native/spawn-helper.c), compiled with the system's C
 * compiler beside the child scripts, on Linux. Without a compiler the build goes on and the engine
 * starts commands through the Node helper (ARCHITECTURE.md, "What bounds command throughput").
 */
function nativeSpawnHelper(): Plugin {
  return {
    name: 'forkscope:native-spawn-helper',
    apply: 'build',
    closeBundle() {
      if (process.platform !== 'linux') return;
      const source = resolve('main/engine/spawn/native/spawn-helper.c');
      const output = resolve('out/main/forkscope-spawn');
      const cc = process.env.CC ?? 'cc';
      const result = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-std=gnu11', '-o', output, source], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (result.status !== 0)
        console.warn(
          `forkscope: the native spawn helper was not built (${result.error ? `${cc}: ${result.error.message}` : `${cc} exited ${result.status}`}); commands will start through the Node helper`,
        );
    },
  };
}

/**
 * Rolldown's "JavaScript callbacks ran for 4.3s" report appears whenever the machine is busy; a
 * newcomer's first `npm start` read it as an error. Build speed is not what `npm start` is for.
 */
const quietChecks = { bundlerTimings: false };

// One build produces everything: the Electron entry, the serve-mode entry and the
// scripts the engine forks (they must exist as files on disk to be forked).
export default defineConfig({
  main: {
    plugins: [standaloneChildScripts(), nativeSpawnHelper()],
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        checks: quietChecks,
        input: {
          electron: resolve('main/electron/main.ts'),
          serve: resolve('main/serve/main.ts'),
          cli: resolve('main/cli/cli.ts'),
          // `forkscope worker`: the agent of distributed pools (main/engine/fleet), run with node.
          'fleet-worker': resolve('main/engine/fleet/worker-cli.ts'),
          ...childEntries,
        },
        output: {
          chunkFileNames: (chunk) =>
            chunk.moduleIds.some((id) => id.endsWith(childSuffix))
              ? 'child-chunks/[name]-[hash].js'
              : 'chunks/[name]-[hash].js',
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        checks: quietChecks,
        input: { preload: resolve('preload/preload.ts') },
        // A sandboxed preload must be one CommonJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('renderer'),
    plugins: [
      svelte(),
      // The UI's messages (renderer/lib/i18n/messages/*.json) compiled to one function per message;
      // the same options as `npm run i18n`.
      paraglideVitePlugin({
        project: resolve('project.inlang'),
        outdir: resolve('renderer/lib/i18n/paraglide'),
        strategy: ['globalVariable', 'baseLocale'],
        emitTsDeclarations: true,
      }),
    ],
    build: {
      outDir: resolve('out/renderer'),
      // bench.html: the app plus the hooks bench/system.bench.ts drives (renderer/bench.ts); not packaged.
      rolldownOptions: {
        checks: quietChecks,
        input: { index: resolve('renderer/index.html'), bench: resolve('renderer/bench.html') },
      },
    },
  },
});
