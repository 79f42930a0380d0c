// The benchmarks' entry (bench/system.bench.ts opens bench.html): the app exactly as main.ts starts
// it, plus the hooks a benchmark drives from the page. Nothing in the app links here, and the
// packaged app leaves it out (electron-builder.yml).
import { flushSync } from 'svelte';
import type { SystemDiff } from '../contract/system';
import { systemStore } from './lib/features/system/system.svelte';
import './main';

/** The System store as the diff benchmark sees it. */
const systemProbe = {
  get currentSeq(): number {
    return systemStore.currentSeq;
  },
  /** Time to apply one diff and update the page (the benchmark's measure). */
  measureApply(diff: SystemDiff): number {
    const started = performance.now();
    systemStore.applyDiff(diff);
    flushSync();
    return performance.now() - started;
  },
};

(globalThis as { __forkscopeSystem?: unknown }).__forkscopeSystem = systemProbe;
