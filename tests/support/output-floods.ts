import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import type { ForkscopeClient } from '../../contract/client';
import type { ReadOutputResult, RunRecord } from '../../contract';

/** The floods of issue 9, item 1: a newline-free gigabyte, then 20,000 lines of 20 KB. */
export const newlineFreeBytes = 1_000_000_000;
export const longLineCount = 20_000;
export const longLineBytes = 20_000;

/** Resident memory of a process, in MB (/proc on Linux, `ps` elsewhere). */
export function rssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // No /proc: ask ps.
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
}

/** Samples a process's RSS every 20 ms until stopped; the highest value seen. */
export function watchPeak(pid: number): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // Gone: the caller notices on its own.
    }
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid));
    },
  };
}

/** Polls until the RSS is at most `limitMb` or `timeoutMs` passed; the lowest value seen. */
export async function settledRss(pid: number, limitMb: number, timeoutMs: number): Promise<number> {
  let lowest = rssMb(pid);
  const deadline = Date.now() + timeoutMs;
  while (lowest > limitMb && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    lowest = Math.min(lowest, rssMb(pid));
  }
  return lowest;
}

async function runToEnd(client: ForkscopeClient, command: string): Promise<RunRecord> {
  const launched = await client.call('runs.launch', {
    program: 'sh',
    args: ['-c', command],
    closeStdin: true,
  });
  return client.call('runs.join', { id: launched.id, timeoutMs: 55_000 });
}

/** `head -c` of /dev/zero: one line that never ends, all of it NUL bytes. */
export function newlineFree(client: ForkscopeClient, bytes = newlineFreeBytes): Promise<RunRecord> {
  return runToEnd(client, `head -c ${bytes} /dev/zero`);
}

/** `count` lines of `bytes` bytes each (newline included). */
export function longLines(
  client: ForkscopeClient,
  count = longLineCount,
  bytes = longLineBytes,
): Promise<RunRecord> {
  return runToEnd(client, `yes "$(printf '%0${bytes - 1}d' 0)" | head -n ${count}`);
}

/** The size of a run's stdout log on disk, once the server says the run has ended. */
export function stdoutLogBytes(record: RunRecord): number {
  return statSync(record.output.stdout.logPath).size;
}

/**
 * The server's RSS once a first small run has loaded what every run needs (the spawn helper's
 * client), after a moment's rest: what the floods are measured against.
 */
export async function baselineRss(client: ForkscopeClient, pid: number): Promise<number> {
  const warm = await client.call('runs.launch', { program: 'true', closeStdin: true });
  await client.call('runs.join', { id: warm.id });
  await new Promise((resolve) => setTimeout(resolve, 500));
  return rssMb(pid);
}

/** Reads a run's whole window as the renderer does, `limit` lines at a time, following the cursor. */
export async function readWholeWindow(
  client: ForkscopeClient,
  id: string,
  limit = 10_000,
): Promise<ReadOutputResult[]> {
  const answers = [await client.call('runs.readOutput', { id, limit })];
  for (let from = answers[0]!.continueFrom; from !== null; from = answers.at(-1)!.continueFrom) {
    answers.push(await client.call('runs.readOutput', { id, fromSeq: from, limit }));
  }
  return answers;
}

/** UTF-8 bytes of the line text in one `runs.readOutput` answer. */
export function answerTextBytes(answer: ReadOutputResult): number {
  return answer.lines.reduce((sum, line) => sum + Buffer.byteLength(line.text), 0);
}

/**
 * Issue 11's stream flood: five stdout lines, a pause (so they are read first), then 300,000
 * stderr lines of 101 bytes (30.3 MB), `err-IIII-NNN xx…x`, the last `err-299-999 …`.
 */
export const stderrFloodScript = [
  'import sys, time',
  'for i in range(1, 6): print(f"first-{i}", flush=True)',
  'time.sleep(0.3)',
  'tail = "x" * 88 + "\\n"',
  'for i in range(300): sys.stderr.write("".join(f"err-{i:03d}-{n:03d} " + tail for n in range(1000)))',
].join('\n');
export const stderrFloodLines = 300_000;
export const stderrFloodFirstLines = Array.from({ length: 5 }, (_, i) => `first-${i + 1}`);
