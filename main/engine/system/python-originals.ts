import { execFile } from 'node:child_process';
import { basename, join } from 'node:path';
import type { Example } from '../examples/catalog';

interface Original {
  file: string;
  concept: string;
  /** What the Python lens shows of it, and where. */
  watch: string;
  view: Example['view'];
}

const originals: Original[] = [
  {
    file: '1_fork.py',
    concept: 'os.fork()',
    watch: 'the forked child, its parent’s pid and its lifetime inside its parent’s',
    view: 'runs',
  },
  {
    file: '2_process.py',
    concept: 'multiprocessing.Process',
    watch:
      'the child Process (start method, target), its exit code, started and joined inside its parent’s life',
    view: 'runs',
  },
  {
    file: '3_pool.py',
    concept: 'multiprocessing.Pool(4)',
    watch:
      'four worker lanes and five task bars: the fifth task waits, then starts on the first worker that frees',
    view: 'pools',
  },
  {
    file: '4a_subprocess_call.py',
    concept: 'subprocess.call',
    watch: 'the Popen call with its argv (where nslookup is missing, Python’s own FileNotFoundError)',
    view: 'runs',
  },
  {
    file: '4b_subprocess_communicate.py',
    concept: 'Popen.communicate',
    watch: 'nslookup fed through its stdin (where it is missing, Python’s own FileNotFoundError)',
    view: 'runs',
  },
  {
    file: '5_queue.py',
    concept: 'multiprocessing.Queue',
    watch: 'A, B and C put by the writer and got by the reader, then the reader terminated by its parent',
    view: 'queues',
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
 * The seed programs themselves, unmodified: `python3 -u <file>` as a command run, seen from inside
 * through the Python lens (its pools, queues, processes and signals) and from outside (its
 * descendants sampled from /proc). Each opens where its picture is.
 */
export const pythonOriginals: Example[] = originals.map(({ file, concept, watch, view }) => ({
  id: `python-${basename(file, '.py')
    .replace(/^\d+[ab]?_/, '')
    .replaceAll('_', '-')}`,
  title: `Python original · ${file}`,
  concept,
  summary:
    `The unmodified seed program, run as python3 -u ${file}. The Python lens reports what its ` +
    `multiprocessing and subprocess calls do, from inside it, without changing a line: watch ${watch}.`,
  pythonFile: file,
  view,
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
