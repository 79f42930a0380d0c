import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// One build produces everything: the Electron entry, the serve-mode entry and the
// scripts the engine forks (they must exist as files on disk to be forked).
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          electron: resolve('main/electron/main.ts'),
          serve: resolve('main/serve/main.ts'),
          'process-runner': resolve('main/engine/child/process-runner.ts'),
          'spawn-helper': resolve('main/engine/child/spawn-helper.ts'),
          'pool-worker': resolve('main/engine/child/pool-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { preload: resolve('preload/preload.ts') },
        // A sandboxed preload must be one CommonJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('renderer'),
    plugins: [svelte()],
    build: {
      outDir: resolve('out/renderer'),
      rolldownOptions: { input: resolve('renderer/index.html') },
    },
  },
});
