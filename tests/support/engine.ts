import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { vi } from 'vitest';
import { Engine, type EngineOptions } from '../../main/engine/engine';

export const projectRoot = resolve(import.meta.dirname, '..', '..');
export const childDir = join(projectRoot, 'out', 'main');
export const fixturesDir = join(projectRoot, 'tests', 'fixtures');

/** A real engine with its logs in a fresh temporary folder. Call `shutdown()` after each test file. */
export function createTestEngine(options: Partial<EngineOptions> = {}): Engine {
  return new Engine({
    logDir: mkdtempSync(join(tmpdir(), 'forkscope-test-')),
    childDir,
    baseDir: projectRoot,
    graceMs: 1000,
    ...options,
  });
}

/**
 * Polls until `check` returns a truthy value or the time is up (generous: this machine has 2 cores):
 * `vi.waitFor`, which retries only on a throw, made to retry on a falsy value too. A check that
 * throws (an `expect`) fails with its own message when the time is up.
 */
export function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  return vi.waitFor(
    async () => {
      const value = await check();
      if (!value) throw new Error(`Timed out waiting for ${what}`);
      return value;
    },
    { timeout: timeoutMs, interval: 50 },
  );
}
