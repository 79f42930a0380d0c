import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportOf, runCli, tempFolder } from './run-cli';

/** The interpreter python3 stands for here (behind pyenv's own shim, the real binary). */
const realPython = (() => {
  try {
    return execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim();
  } catch {
    return null;
  }
})();

/**
 * A pyenv-style shim named python3, first on PATH: it runs readlink and bash helpers, execs a
 * second stage (as pyenv's shim execs `pyenv exec`), which runs more and execs the real one.
 * The sleeps make each helper live long enough to be sampled on a loaded machine. The first
 * stage's last helper has a child that ends just as the shim execs: it is folded all the same.
 */
function makeShim(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const stage1 = [
    '#!/bin/sh',
    'readlink -f "$0" >/dev/null',
    "bash -c 'readlink -f /usr/bin >/dev/null; sleep 0.2; true'",
    `exec sh ${join(bin, 'shim-exec')} "$@"`,
  ];
  const stage2 = [
    '#!/bin/sh',
    "version=$(bash -c 'sleep 0.2; echo 3.12')",
    'sleep 0.6',
    `exec ${realPython} "$@"`,
  ];
  writeFileSync(join(bin, 'python3'), stage1.join('\n') + '\n');
  writeFileSync(join(bin, 'shim-exec'), stage2.join('\n') + '\n');
  chmodSync(join(bin, 'python3'), 0o755);
  return bin;
}

const program = `
import multiprocessing as mp, os, time
def work(i):
    time.sleep(0.2)
    return os.getpid()
if __name__ == '__main__':
    with mp.get_context('fork').Pool(2) as pool:
        pids = sorted(set(pool.map(work, range(4), chunksize=1)))
    print('workers', *pids, flush=True)
`;

describe.runIf(realPython !== null && process.platform === 'linux')('forkscope report behind a shim', () => {
  it('folds the shim helpers into the interpreter, counts them, and lists them with --shims', async () => {
    const dir = tempFolder();
    const bin = makeShim(dir);
    writeFileSync(join(dir, 'prog.py'), program);
    const recorded = await runCli(['record', '--out', 'shim.fsrec', '--', 'python3', 'prog.py'], {
      cwd: dir,
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    expect({ status: recorded.status, stderr: recorded.stderr }).toMatchObject({ status: 0 });
    const workers = /workers ([\d ]+)/.exec(recorded.stdout.toString())![1]!.split(' ').map(Number);

    const report = await reportOf('shim.fsrec', dir);
    expect(report.schemaVersion).toBe(1);
    const shown = report.processes.filter((p) => !p.folded);
    const helpers = report.processes.filter((p) => p.folded);
    // The interpreter first, then its workers; every shown process is Python; the helpers last.
    const root = shown[0]!;
    expect(root.seenBy).toContain('run');
    expect(root.argv).toEqual(['python3', 'prog.py']);
    for (const pid of workers) expect(shown.map((p) => p.pid)).toContain(pid);
    for (const p of shown.slice(1)) expect(p.argv.join(' ')).toMatch(/python|prog\.py/);
    expect(report.processes.slice(shown.length).every((p) => p.folded)).toBe(true);
    // Both stages' bash helpers with their children (sleep 0.2 each), and the second's sleep.
    const helperText = helpers.map((p) => p.argv.join(' ')).join('\n');
    expect(helperText.match(/^bash -c /gm)).toHaveLength(2);
    expect(helperText.match(/^sleep 0\.2$/gm)).toHaveLength(2);
    expect(helperText).toMatch(/^sleep 0\.6$/m);
    for (const p of helpers) expect(p.seenBy).toEqual(['tree']);
    for (const p of helpers) expect(p.end).not.toBeNull();

    const text = (await runCli(['report', 'shim.fsrec'], { cwd: dir })).stdout.toString();
    expect(text).toContain(`Processes (${shown.length}):`);
    expect(text).toContain(
      `  (${helpers.length} shim helpers folded into pid ${root.pid}; --shims lists them)`,
    );
    const rowOf = (pid: number | null) => new RegExp(`^ +${pid}  ppid `, 'm');
    for (const p of shown) expect(text).toMatch(rowOf(p.pid));
    for (const p of helpers) expect(text).not.toMatch(rowOf(p.pid));

    const all = (await runCli(['report', 'shim.fsrec', '--shims'], { cwd: dir })).stdout.toString();
    const [processes, shims] = all.split(`Shim helpers (${helpers.length}, folded into pid ${root.pid}):`);
    expect(shims).toBeDefined();
    for (const p of shown) expect(processes).toMatch(rowOf(p.pid));
    for (const p of helpers) expect(shims).toMatch(rowOf(p.pid));
    expect(all).not.toContain('--shims lists them');
  });
});
