import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run-cli';
import { projectRoot } from './engine';

const pythonExamples = join(projectRoot, 'main', 'engine', 'examples', 'python');

/**
 * Records a seed program with the real `forkscope record` into `dir` and returns the file's path.
 * `poolSize` rewrites 3_pool.py's Pool(4) (a copy in `dir`), for Pool(4) vs Pool(2).
 */
export async function recordSeed(
  dir: string,
  seed: string,
  options: { poolSize?: number; out?: string } = {},
) {
  let program = join(pythonExamples, seed);
  if (options.poolSize !== undefined) {
    const source = readFileSync(program, 'utf8');
    if (!source.includes('Pool(4)')) throw new Error(`${seed} has no Pool(4) to change`);
    program = join(dir, seed.replace('.py', `_pool${options.poolSize}.py`));
    writeFileSync(program, source.replace('Pool(4)', `Pool(${options.poolSize})`));
  }
  const out = join(dir, options.out ?? `${seed.replace('.py', '')}${options.poolSize ?? ''}.fsrec`);
  const result = await runCli(['record', '--out', out, '--', 'python3', program], { cwd: dir });
  if (result.status !== 0) throw new Error(`record ${seed} failed (${result.status}): ${result.stderr}`);
  return out;
}

/**
 * A folder for a suite's recordings, named apart from the folders other suites' runs clean up
 * when they end (require-build removes forkscope-test-* made during its run); `remove` after.
 */
export function recordingsFolder(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'forkscope-replay-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
