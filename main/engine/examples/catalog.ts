import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ForkscopeError, type ExampleInfo } from '../../../contract';
import type { Engine } from '../engine';
import { poolsOf } from '../pool';
import { pythonOriginals } from '../system/python-originals';

export interface ExampleStarted {
  runIds: string[];
  poolId?: string;
  queueIds?: string[];
}

export interface Example extends Omit<ExampleInfo, 'python'> {
  /** The seed program it was made from (a file in examples/python/). */
  pythonFile: string;
  start(engine: Engine, dirs: ExampleDirs): Promise<ExampleStarted>;
}

export interface ExampleDirs {
  programs: string;
  python: string;
}

const nslookupInput = 'set q=mx\npython.org\nexit\n';

type ExampleText = Omit<Example, 'start' | 'view'>;

/** An example whose parent is a Process running `programs/<file>#<exportName>`. */
function processExample(text: ExampleText, target: string): Example {
  return {
    ...text,
    view: 'runs',
    start: async (engine, dirs) => {
      const run = await engine.startProcess({ target: join(dirs.programs, target), args: [] });
      return { runIds: [run.id] };
    },
  };
}

/** An example that runs one command, as `subprocess.call` or `Popen.communicate` would. */
function commandExample(
  text: ExampleText,
  command: (dirs: ExampleDirs) => { program: string; args: string[]; label?: string; input?: string },
): Example {
  return {
    ...text,
    view: 'runs',
    start: async (engine, dirs) => {
      const { program, args, label, input } = command(dirs);
      const twin = program === process.execPath;
      const run = await engine.launch({
        program,
        args,
        label,
        input,
        // The twin is a Node script run by our own binary: in the desktop app that is Electron, as Node.
        env: twin ? { ELECTRON_RUN_AS_NODE: '1' } : undefined,
        closeStdin: true,
        shell: false,
        timeoutMs: 15_000,
      });
      return { runIds: [run.id] };
    },
  };
}

const nslookupTwin = (dirs: ExampleDirs) => join(dirs.programs, 'nslookup-twin.js');

const poolExample: Example = {
  id: 'pool',
  title: '3 · Pool(4): five tasks on four workers',
  concept: 'multiprocessing.Pool(4).apply_async(long_time_task, (i,))',
  summary:
    'Four workers, five tasks that print their pid and sleep a random 0–3 s. The Pools view shows one lane ' +
    'per worker and one bar per task: the fifth task starts on the first worker that frees. If a worker died, ' +
    'its task would fail at once and a new worker would take its place (Python’s Pool would hang).',
  pythonFile: '3_pool.py',
  view: 'pools',
  start: async (engine, dirs) => {
    const pool = await poolsOf(engine).createFunctionPool({ workers: 4, label: 'Pool(4) · 3_pool' });
    for (let i = 0; i < 5; i++) pool.applyAsync(`${join(dirs.programs, 'pool-demo.js')}#longTimeTask`, [i]);
    pool.close();
    return { runIds: pool.allWorkers.map((worker) => worker.run.id), poolId: pool.id };
  },
};

const queueExample: Example = {
  id: 'queue',
  title: '5 · Queue: a writer and a reader',
  concept: 'multiprocessing.Queue() passed to two Processes',
  summary:
    'The parent creates a queue and hands it to a writer and a reader. The writer puts A, B and C with random ' +
    'pauses; the reader loops on get. The parent joins the writer, then terminates the reader. The Queues view ' +
    'shows each put → get pair, the depth over time and the reader’s termination.',
  pythonFile: '5_queue.py',
  view: 'queues',
  start: async (engine, dirs) => {
    const queue = await engine.queues.create({ name: '5_queue' });
    const run = await engine.startProcess({
      target: `${join(dirs.programs, 'queue-demo.js')}#main`,
      args: [{ $queue: queue.id }],
    });
    return { runIds: [run.id], queueIds: [queue.id] };
  },
};

/** The built-in examples, in the order of the seed programs. */
const examples: Example[] = [
  processExample(
    {
      id: 'fork',
      title: '1 · fork: one process becomes two',
      concept: 'os.fork()',
      summary:
        'A parent process asks for a child; both print their pid. Node cannot copy a running process as fork() ' +
        'does, so the engine forks the child module for the parent and links the two: see the child under its ' +
        'parent, the message the child sends back, and both exit codes.',
      pythonFile: '1_fork.py',
    },
    'fork-demo.js#parent',
  ),
  processExample(
    {
      id: 'process',
      title: '2 · Process: start and join a child',
      concept: 'multiprocessing.Process(target, args)',
      summary:
        'The parent starts a child Process with target=runProc and args=["test"], joins it and reports its exit ' +
        'code. Forkscope shows the child’s lifetime inside the parent’s, with pids and timing.',
      pythonFile: '2_process.py',
    },
    'process-demo.js#main',
  ),
  poolExample,
  commandExample(
    {
      id: 'call',
      title: '4a · subprocess.call: a command’s output and exit code',
      concept: "subprocess.call(['nslookup', 'www.python.org'])",
      summary:
        'Runs an offline twin of nslookup (there is no network here) with an argument; its stdout and its exit ' +
        'code are shown as they come.',
      pythonFile: '4a_subprocess_call.py',
    },
    (dirs) => ({
      program: process.execPath,
      args: [nslookupTwin(dirs), 'www.python.org'],
      label: 'nslookup www.python.org (offline twin)',
    }),
  ),
  commandExample(
    {
      id: 'call-real',
      title: '4a · the real nslookup',
      concept: "subprocess.call(['nslookup', 'www.python.org'])",
      summary:
        'Runs the real nslookup. Where it is not installed, Forkscope says “command not found” and goes on, ' +
        'where Python would raise FileNotFoundError.',
      pythonFile: '4a_subprocess_call.py',
    },
    () => ({ program: 'nslookup', args: ['www.python.org'] }),
  ),
  commandExample(
    {
      id: 'communicate',
      title: '4b · Popen + communicate: text to stdin, stdout and stderr apart',
      concept: 'Popen(stdin=PIPE, stdout=PIPE, stderr=PIPE).communicate(input)',
      summary:
        'Writes “set q=mx / python.org / exit” to the stdin of an offline nslookup twin, closes it, and shows ' +
        'stdout and stderr apart with the exit code.',
      pythonFile: '4b_subprocess_communicate.py',
    },
    (dirs) => ({
      program: process.execPath,
      args: [nslookupTwin(dirs)],
      label: 'nslookup (offline twin) ← set q=mx, python.org, exit',
      input: nslookupInput,
    }),
  ),
  commandExample(
    {
      id: 'communicate-real',
      title: '4b · the real nslookup, with communicate',
      concept: "Popen(['nslookup']).communicate(b'set q=mx\\npython.org\\nexit\\n')",
      summary: 'The same dialogue with the real nslookup; where it is missing, a clear “command not found”.',
      pythonFile: '4b_subprocess_communicate.py',
    },
    () => ({ program: 'nslookup', args: [], input: nslookupInput }),
  ),
  queueExample,
  // The unmodified seed programs, run with python3 -u, their descendants tracked (System view).
  ...pythonOriginals,
];

export function listExamples(dirs: ExampleDirs): ExampleInfo[] {
  return examples.map(({ start: _start, pythonFile, ...info }) => ({
    ...info,
    python: readFileSync(join(dirs.python, pythonFile), 'utf8'),
  }));
}

export function startExample(id: string, engine: Engine, dirs: ExampleDirs): Promise<ExampleStarted> {
  const example = examples.find((known) => known.id === id);
  if (!example) throw new ForkscopeError('not-found', `There is no example "${id}".`);
  return example.start(engine, dirs);
}
