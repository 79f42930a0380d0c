import { readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * For a Vitest global setup: returns the teardown that removes the temporary folders named by
 * `ours` that were made since now (some hold 100 MB). Older ones may belong to a run still going.
 */
export function removeTempDirsAfterwards(ours: RegExp): () => void {
  const startedAt = Date.now() - 1000;
  return () => {
    for (const name of readdirSync(tmpdir())) {
      const path = join(tmpdir(), name);
      if (ours.test(name) && statSync(path).mtimeMs >= startedAt)
        rmSync(path, { recursive: true, force: true });
    }
  };
}

/** The unit project's global setup: its only folders are the output-capture tests'. */
export default function unitSetup(): () => void {
  return removeTempDirsAfterwards(/^forkscope-capture-/);
}
