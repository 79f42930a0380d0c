/**
 * The shape every benchmark file (`bench/<name>.bench.ts`) exports as default. `npm run bench`
 * runs them in one process, one after the other, prints a readable table of all measurements,
 * then one line per comparison: `ratio NAME VALUE target OP VALUE`.
 */
export interface Measurement {
  /** What was measured, e.g. "engine capture (500 MB of 100-byte lines)". */
  subject: string;
  value: number;
  /** e.g. "MB/s", "spawns/s", "ms". */
  unit: string;
}

export interface Ratio {
  /** kebab-case, e.g. "capture-vs-cat". */
  name: string;
  value: number;
  op: '>=' | '<=';
  target: number;
  /** Why it could not be measured in this run (e.g. a reference tool is not installed): not a miss. */
  skipped?: string;
}

export interface BenchResult {
  measurements: Measurement[];
  ratios: Ratio[];
}

export interface Benchmark {
  /** kebab-case; `npm run bench -- NAME` runs only the benchmarks whose name starts with NAME. */
  name: string;
  description: string;
  run(): Promise<BenchResult>;
}

export function ratioLine(ratio: Ratio): string {
  if (ratio.skipped !== undefined)
    return `ratio ${ratio.name} skipped target ${ratio.op} ${ratio.target.toFixed(2)} (${ratio.skipped})`;
  return `ratio ${ratio.name} ${ratio.value.toFixed(2)} target ${ratio.op} ${ratio.target.toFixed(2)}`;
}
