import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * For a Vitest global setup: every temporary folder of this test run (log folders, some of 100 MB,
 * sockets, fixtures) goes inside one private folder, removed at the end. TMPDIR is set before the
 * workers start, so they and every process they spawn inherit it; two test runs on one machine
 * (a developer's and an editor's, or two projects) never remove each other's folders.
 */
export function privateTempDir(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'forkscope-testrun-'));
  // Others may pass through (not list): the as-another-user test runs a script from a folder in it.
  // Each folder the tests make inside stays 0700 (mkdtemp's mode).
  chmodSync(root, 0o711);
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}

/** The unit project's global setup. */
export default function unitSetup(): () => void {
  return privateTempDir();
}
