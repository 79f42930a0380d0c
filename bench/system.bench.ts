import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chromium } from '@playwright/test';
import type { ProcessRow } from '../contract/system';
import { ProcessLister } from '../main/engine/system/lister';
import { chromiumArgs, chromiumPath } from '../tests/support/chromium';
import { startServe } from '../tests/support/serve';
import type { Benchmark, Measurement, Ratio } from './harness';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(run: () => unknown, repeats: number): number {
  run(); // warm the code paths (and, for ps, the page cache)
  const samples: number[] = [];
  for (let index = 0; index < repeats; index++) {
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

const ps = () => execFileSync('ps', ['-eo', 'pid,ppid,pcpu,rss,comm,args'], { maxBuffer: 64 * 1024 * 1024 });

/** One full snapshot, cold (a fresh lister: every command line and owner read) and warm (a refresh). */
function measureSnapshots(label: string, repeats: number) {
  const cold = time(() => new ProcessLister().listProc(), repeats);
  const warmLister = new ProcessLister();
  warmLister.listProc();
  const warm = time(() => warmLister.listProc(), repeats);
  const psMs = time(ps, repeats);
  const count = warmLister.listProc().processes.length;
  return { cold, warm, psMs, count, label };
}

/** Direct children of this process, so Node reaps them: none is left behind, not even as a zombie. */
async function startSleepers(count: number): Promise<ChildProcess[]> {
  const children: ChildProcess[] = [];
  const spawned: Promise<unknown>[] = [];
  for (let index = 0; index < count; index++) {
    const child = spawn('sleep', ['3600'], { stdio: 'ignore' });
    spawned.push(new Promise((resolve) => (child.once('spawn', resolve), child.once('error', resolve))));
    children.push(child);
    if (index % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(spawned);
  return children;
}

async function stopSleepers(children: ChildProcess[]): Promise<void> {
  const exits = children.map((child) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.once('exit', resolve)),
  );
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(exits);
}

function syntheticRows(count: number, cpu: (index: number) => number): ProcessRow[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `${100_000 + index}:bench`,
    pid: 100_000 + index,
    ppid: index < 50 ? 1 : 100_000 + (index % 50),
    name: `bench-${index % 97}`,
    cmd: `/usr/bin/bench-worker --id ${index} --mode synthetic`,
    user: index % 3 === 0 ? 'root' : 'bench',
    state: 'S',
    cpu: cpu(index),
    memory: 1_000_000 + index * 1000,
    start: 1_700_000_000_000 + index,
    own: null,
    runId: null,
  }));
}

interface DiffTimes {
  firstAdd: number;
  add: number;
  change: number;
  /** The same applies, timed until the page's layout is done (a forced layout after the apply). */
  addLaidOut: number;
  changeLaidOut: number;
  /** The same Chromium building and laying out a plain 5,000-row table, once (median of warm runs). */
  plainTable: number;
}

/**
 * The baseline: a plain page in the same browser builds a <table> of the same 5,000 rows (one
 * cell per column the System view shows), appends it and forces its layout; the first run is
 * cold and dropped, the median of the rest is kept.
 */
const plainTableScript = (rows: ProcessRow[]) => `(() => {
  const rows = ${JSON.stringify(rows)};
  const once = () => {
    document.body.replaceChildren();
    const started = performance.now();
    const table = document.createElement('table');
    const body = document.createElement('tbody');
    for (const row of rows) {
      const tr = document.createElement('tr');
      for (const value of [row.pid, row.name, row.user, row.state, row.cpu.toFixed(1), row.memory, row.cmd]) {
        const td = document.createElement('td');
        td.textContent = String(value);
        tr.append(td);
      }
      body.append(tr);
    }
    table.append(body);
    document.body.append(table);
    document.body.getBoundingClientRect();
    return performance.now() - started;
  };
  const times = Array.from({ length: 6 }, once);
  times.shift();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
})()`;

/** The renderer's time to apply one diff of 5,000 rows, DOM update included, in Chromium. */
async function measureDiffApply(): Promise<DiffTimes> {
  const executablePath = chromiumPath();
  if (!executablePath)
    throw new Error('No Chromium found (set CHROMIUM_PATH): the diff benchmark needs one.');
  const serve = await startServe();
  const browser = await chromium.launch({ executablePath, args: chromiumArgs });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // bench.html: the app plus the System store's benchmark hooks (renderer/bench.ts); the token stays in the hash.
    const url = new URL(serve.url);
    url.pathname = '/bench.html';
    await page.goto(url.href);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'System' }).click();
    await page.getByRole('grid', { name: 'Processes' }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    const added = syntheticRows(5000, (index) => (index * 7) % 100);
    const changes = Array.from({ length: 6 }, (_, round) =>
      syntheticRows(5000, (index) => ((index + round * 13) * 11) % 100),
    );
    // A string, not a function: tsx would wrap a function's inner helpers in __name(), unknown in the page.
    const script = `(async ({ added, changes }) => {
      const store = globalThis.__forkscopeSystem;
      const diff = (kind, rows) => ({
        baseSeq: store.currentSeq,
        seq: store.currentSeq + 1,
        t: Date.now(),
        added: kind === 'added' ? rows : [],
        removed: kind === 'removed' ? rows.map((row) => row.key) : [],
        changed: kind === 'changed' ? rows : [],
      });
      // The first add runs cold (JIT, first layout); then the rows go, and once their red
      // "exited" highlight has expired the same add is measured again, warm.
      // laidOut: the apply, then a forced layout, timed as one (what the plain table is timed to).
      let laid = 0;
      const laidOut = (d) => {
        const started = performance.now();
        const applied = store.measureApply(d);
        document.body.getBoundingClientRect();
        laid = performance.now() - started;
        return applied;
      };
      const firstAdd = laidOut(diff('added', added));
      laidOut(diff('removed', added));
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const add = laidOut(diff('added', added));
      const addLaidOut = laid;
      const times = [];
      const laidTimes = [];
      for (const rows of changes) {
        times.push(laidOut(diff('changed', rows)));
        laidTimes.push(laid);
      }
      const mid = (values) => {
        values.shift();
        values.sort((a, b) => a - b);
        return values[Math.floor(values.length / 2)];
      };
      return { firstAdd, add, change: mid(times), addLaidOut, changeLaidOut: mid(laidTimes) };
    })(${JSON.stringify({ added, changes })})`;
    const applied = (await page.evaluate(script)) as Omit<DiffTimes, 'plainTable'>;
    const plain = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await plain.setContent('<!doctype html><html><body></body></html>');
    const plainTable = (await plain.evaluate(plainTableScript(added))) as number;
    return { ...applied, plainTable };
  } finally {
    await browser.close();
    await serve.stop('SIGINT');
  }
}

const benchmark: Benchmark = {
  name: 'system',
  description:
    'System view: one full process snapshot vs ps (normal and +2,000 processes); a 5,000-row diff in Chromium',
  async run() {
    if (process.platform !== 'linux') throw new Error('The system benchmark reads /proc: it runs on Linux.');
    const measurements: Measurement[] = [];
    const ratios: Ratio[] = [];

    const normal = measureSnapshots('normal', 15);
    let extra: ReturnType<typeof measureSnapshots>;
    const sleepers = await startSleepers(2000);
    const cleanup = () => sleepers.forEach((child) => child.kill('SIGKILL'));
    process.once('exit', cleanup);
    try {
      extra = measureSnapshots('+2000', 7);
    } finally {
      await stopSleepers(sleepers);
      process.off('exit', cleanup);
    }

    for (const run of [normal, extra]) {
      const suffix = `${run.label}, ${run.count} processes`;
      measurements.push(
        { subject: `Forkscope snapshot, cold (${suffix})`, value: run.cold, unit: 'ms' },
        { subject: `Forkscope snapshot, refresh (${suffix})`, value: run.warm, unit: 'ms' },
        { subject: `ps -eo pid,ppid,pcpu,rss,comm,args (${suffix})`, value: run.psMs, unit: 'ms' },
      );
    }
    // The ratios use the cold snapshot: every file read, as the very first snapshot does.
    ratios.push(
      { name: 'system-snapshot-vs-ps', value: normal.cold / normal.psMs, op: '<=', target: 1 },
      { name: 'system-snapshot-2000-vs-ps', value: extra.cold / extra.psMs, op: '<=', target: 0.8 },
    );

    const diff = await measureDiffApply();
    measurements.push(
      {
        subject: 'renderer: apply a diff adding 5,000 rows, first time (cold JIT)',
        value: diff.firstAdd,
        unit: 'ms',
      },
      { subject: 'renderer: apply a diff adding 5,000 rows (Chromium)', value: diff.add, unit: 'ms' },
      { subject: 'renderer: apply a diff changing 5,000 rows (Chromium)', value: diff.change, unit: 'ms' },
      {
        subject: 'renderer: apply a diff adding 5,000 rows, until laid out',
        value: diff.addLaidOut,
        unit: 'ms',
      },
      {
        subject: 'renderer: apply a diff changing 5,000 rows, until laid out',
        value: diff.changeLaidOut,
        unit: 'ms',
      },
      {
        subject: 'same Chromium: build and lay out a plain 5,000-row <table> once',
        value: diff.plainTable,
        unit: 'ms',
      },
    );
    ratios.push({
      name: 'system-diff-apply-ms',
      value: Math.max(diff.add, diff.change),
      op: '<=',
      target: 16,
    });
    ratios.push({
      name: 'system-diff-apply-vs-baseline',
      value: Math.max(diff.addLaidOut, diff.changeLaidOut) / diff.plainTable,
      op: '<=',
      target: 1,
    });
    return { measurements, ratios };
  },
};

export default benchmark;
