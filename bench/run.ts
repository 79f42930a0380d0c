/**
 * Runs the benchmarks (`bench/*.bench.ts`, default export: Benchmark) one after the other in this
 * process, then prints a table of every measurement, one `ratio ...` line per comparison and a
 * summary. Started by scripts/bench.mjs (`npm run bench [-- NAME...]`), which checks the build.
 *
 * A ratio that misses its target is reported, not an error; a benchmark that throws is reported
 * and the others still run (the exit code is then 1).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ratioLine, type Benchmark, type Measurement, type Ratio } from './harness';

const benchDir = import.meta.dirname;
const progress = (text: string) => process.stderr.write(`${text}\n`);

interface Outcome {
  name: string;
  seconds: number;
  measurements: Measurement[];
  ratios: Ratio[];
  error?: unknown;
}

function isBenchmark(value: unknown): value is Benchmark {
  const candidate = value as Partial<Benchmark> | null;
  return typeof candidate?.name === 'string' && typeof candidate.run === 'function';
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(rows: string[][], rightAligned: number[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        rightAligned.includes(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

function met(ratio: Ratio): boolean {
  return ratio.op === '>=' ? ratio.value >= ratio.target : ratio.value <= ratio.target;
}

async function discover(names: string[]): Promise<Benchmark[]> {
  const files = readdirSync(benchDir)
    .filter((file) => file.endsWith('.bench.ts'))
    .sort();
  const found: Benchmark[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(benchDir, file)).href)) as { default?: unknown };
    if (!isBenchmark(module.default)) {
      progress(`skipping bench/${file}: its default export is not a Benchmark`);
      continue;
    }
    found.push(module.default);
  }
  return found.filter((bench) => names.length === 0 || names.some((name) => bench.name.startsWith(name)));
}

async function main(names: string[]): Promise<number> {
  // The engine's helper processes do not keep the event loop alive (by design): we do, meanwhile.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const benchmarks = await discover(names);
  if (benchmarks.length === 0) {
    progress(`No benchmark matches ${names.join(', ')}.`);
    clearInterval(keepAlive);
    return 1;
  }
  const outcomes: Outcome[] = [];
  for (const [index, bench] of benchmarks.entries()) {
    progress(`[${index + 1}/${benchmarks.length}] ${bench.name}: ${bench.description}`);
    const start = performance.now();
    const outcome: Outcome = { name: bench.name, seconds: 0, measurements: [], ratios: [] };
    try {
      const result = await bench.run();
      outcome.measurements = result.measurements;
      outcome.ratios = result.ratios;
    } catch (error) {
      outcome.error = error;
      progress(
        `${bench.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    outcome.seconds = (performance.now() - start) / 1000;
    progress(`[${index + 1}/${benchmarks.length}] ${bench.name} done in ${outcome.seconds.toFixed(1)} s`);
    outcomes.push(outcome);
  }
  clearInterval(keepAlive);

  const rows = [['benchmark', 'subject', 'value', 'unit']];
  for (const outcome of outcomes) {
    for (const measurement of outcome.measurements) {
      rows.push([outcome.name, measurement.subject, formatValue(measurement.value), measurement.unit]);
    }
    if (outcome.error !== undefined) {
      const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      rows.push([outcome.name, `FAILED: ${message.split('\n')[0]}`, '', '']);
    }
  }
  const out: string[] = ['', table(rows, [2]), ''];
  const ratios = outcomes.flatMap((outcome) => outcome.ratios);
  for (const ratio of ratios) out.push(ratioLine(ratio));
  const skipped = ratios.filter((ratio) => ratio.skipped !== undefined);
  const missed = ratios.filter((ratio) => ratio.skipped === undefined && !met(ratio));
  const failed = outcomes.filter((outcome) => outcome.error !== undefined);
  out.push(
    '',
    `${ratios.length - skipped.length - missed.length} of ${ratios.length - skipped.length} ratios met their target` +
      (skipped.length > 0
        ? `, ${skipped.length} skipped (${skipped.map((ratio) => ratio.name).join(', ')})`
        : '') +
      (missed.length > 0 ? ` (missed: ${missed.map((ratio) => ratio.name).join(', ')})` : '') +
      (failed.length > 0
        ? `; ${failed.length} benchmark(s) failed: ${failed.map((outcome) => outcome.name).join(', ')}`
        : ''),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
// Should a benchmark leave a handle open, do not hang: everything has been printed by now.
setTimeout(() => {
  progress('(a benchmark left something running; exiting anyway)');
  process.exit();
}, 3000).unref();
