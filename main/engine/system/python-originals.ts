import { execFile } from 'node:child_process';
import { basename, join } from 'node:path';
import type { Example } from '../examples/catalog';

interface Original {
  file: string;
  concept: string;
  watch: string;
}

const originals: Original[] = [
  { file: '1_fork.py', concept: 'os.fork()', watch: 'the forked child, a lane inside its parent’s' },
  {
    file: '2_process.py',
    concept: 'multiprocessing.Process',
    watch: 'the child Process, started and joined',
  },
  {
    file: '3_pool.py',
    concept: 'multiprocessing.Pool(4)',
    watch: 'the four pool workers, alive until the pool is joined',
  },
  {
    file: '4a_subprocess_call.py',
    concept: 'subprocess.call',
    watch: 'nslookup as a child (where it is missing, Python’s own FileNotFoundError)',
  },
  {
    file: '4b_subprocess_communicate.py',
    concept: 'Popen.communicate',
    watch: 'nslookup fed through its stdin (where it is missing, Python’s own FileNotFoundError)',
  },
  {
    file: '5_queue.py',
    concept: 'multiprocessing.Queue',
    watch: 'the writer and the reader, the reader terminated at the end',
  },
];

let interpreter: Promise<string> | null = null;

/**
 * The interpreter `python3` stands for. Where python3 is a shim (pyenv, asdf), running the
 * real binary keeps the shim's own helper processes off the descendants timeline.
 */
export function resolvePython(): Promise<string> {
  interpreter ??= new Promise((resolve) => {
    execFile('python3', ['-c', 'import sys; print(sys.executable)'], { timeout: 10_000 }, (error, stdout) => {
      const path = stdout?.trim();
      resolve(!error && path ? path : 'python3');
    });
  });
  return interpreter;
}

/**
 * The seed programs themselves, unmodified: `python3 -u <file>` as a command run, with its
 * descendants tracked from /proc. They open in the System view, where the descendants
 * timeline sits beside the run's output.
 */
export const pythonOriginals: Example[] = originals.map(({ file, concept, watch }) => ({
  id: `python-${basename(file, '.py')
    .replace(/^\d+[ab]?_/, '')
    .replaceAll('_', '-')}`,
  title: `Python original · ${file}`,
  concept,
  summary:
    `The unmodified seed program, run as python3 -u ${file}. Forkscope follows its process tree ` +
    `(sampled 100 times a second from /proc) and draws each descendant as a lane: watch ${watch}.`,
  pythonFile: file,
  view: 'system',
  start: async (engine, dirs) => {
    const run = await engine.launch({
      program: await resolvePython(),
      args: ['-u', join(dirs.python, file)],
      cwd: dirs.python,
      label: `python3 -u ${file}`,
      shell: false,
      closeStdin: true,
      timeoutMs: 60_000,
    });
    if (run.pid !== null) engine.system.tracker.track(run.id);
    return { runIds: [run.id] };
  },
}));
