/**
 * Item 1 of issue 9: long or newline-free output must not pin memory. A real serve-mode server
 * captures real floods (`head -c` of /dev/zero, `yes` of 20 KB lines) while its resident memory is
 * sampled from outside; the logs on disk must still hold every byte, and no `runs.readOutput`
 * answer may grow past its byte bound.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxReadOutputBytes } from '../../contract';
import { eventually } from '../support/engine';
import {
  answerTextBytes,
  baselineRss,
  longLineBytes,
  longLineCount,
  longLines,
  newlineFree,
  newlineFreeBytes,
  readWholeWindow,
  settledRss,
  stdoutLogBytes,
  watchPeak,
} from '../support/output-floods';
import { connectClient, startServe, type ServeProcess } from '../support/serve';

/** The figures the issue asks for, in MB over the server's RSS before the floods. */
const peakBoundMb = 300;
const settledBoundMb = 150;

let serve: ServeProcess;
let connection: Awaited<ReturnType<typeof connectClient>>;
let baselineMb = 0;
let peakMb = 0;

beforeAll(async () => {
  serve = await startServe();
  connection = await connectClient(serve);
  baselineMb = await baselineRss(connection.client, serve.process.pid!);
}, 30_000);

afterAll(async () => {
  if (serve && process.exitCode) console.info(serve.output());
  connection?.close();
  await serve?.stop();
  if (serve) rmSync(serve.logDir, { recursive: true, force: true });
});

describe('output memory (issue 9, item 1)', () => {
  it('a newline-free gigabyte is held as one line head; the log has every byte', async () => {
    const { client } = connection;
    const peak = watchPeak(serve.process.pid!);
    const record = await newlineFree(client);
    peakMb = Math.max(peakMb, peak.stop());

    expect(record.exit?.code).toBe(0);
    expect(record.output.stdout.bytes).toBe(newlineFreeBytes);
    await eventually(() => stdoutLogBytes(record) === newlineFreeBytes, 20_000, 'the whole log on disk');
    const answer = await client.call('runs.readOutput', { id: record.id, limit: 10_000 });
    expect(answer.lines).toHaveLength(1);
    const [line] = answer.lines;
    expect(Buffer.byteLength(line!.text)).toBe(16 * 1024);
    expect(line!.continuedBytes).toBe(newlineFreeBytes - 16 * 1024);
    expect(peakMb - baselineMb).toBeLessThanOrEqual(peakBoundMb);
  }, 60_000);

  it('20,000 lines of 20 KB: answers stay within their byte bound and say where to go on', async () => {
    const { client } = connection;
    const peak = watchPeak(serve.process.pid!);
    const record = await longLines(client);
    expect(record.exit?.code).toBe(0);
    // The answer that once weighed 165 MB: at most 4 MiB of text, with a cursor to the rest.
    const answers = await readWholeWindow(client, record.id);
    peakMb = Math.max(peakMb, peak.stop());
    const [first] = answers;
    expect(answers.length).toBeGreaterThan(1);
    expect(first!.continueFrom).toBe(first!.firstSeq + first!.lines.length);
    for (const answer of answers) expect(answerTextBytes(answer)).toBeLessThanOrEqual(maxReadOutputBytes);

    // Every line held is the head of a 20 KB line, and the window ends at the newest line.
    const seqs = answers.flatMap((answer) => answer.lines.map((line) => line.seq));
    expect(seqs[0]).toBe(first!.firstSeq);
    expect(seqs.at(-1)).toBe(longLineCount - 1);
    expect(seqs.length).toBe(longLineCount - first!.firstSeq);
    expect(first!.lines[0]!.continuedBytes).toBe(longLineBytes - 1 - 16 * 1024);
    expect(record.output.stdout.lines).toBe(longLineCount);
    await eventually(
      () => stdoutLogBytes(record) === longLineCount * longLineBytes,
      20_000,
      'the whole log on disk',
    );
    expect(peakMb - baselineMb).toBeLessThanOrEqual(peakBoundMb);
  }, 60_000);

  it('floods in several runs at once stay within the same bound', async () => {
    const { client } = connection;
    const peak = watchPeak(serve.process.pid!);
    const records = await Promise.all([
      newlineFree(client, newlineFreeBytes / 4),
      newlineFree(client, newlineFreeBytes / 4),
      longLines(client, longLineCount / 4),
      longLines(client, longLineCount / 4),
    ]);
    // One window after another, as the page reads them: answers in parallel would only queue.
    for (const record of records) await readWholeWindow(client, record.id);
    peakMb = Math.max(peakMb, peak.stop());
    expect(records.map((record) => record.exit?.code)).toEqual([0, 0, 0, 0]);
    expect(peakMb - baselineMb).toBeLessThanOrEqual(peakBoundMb);
  }, 60_000);

  it('after the floods, with both runs still listed, the server gives the memory back', async () => {
    const settled = await settledRss(serve.process.pid!, baselineMb + settledBoundMb, 20_000);
    console.info(
      `output memory: baseline ${baselineMb.toFixed(0)} MB, peak +${(peakMb - baselineMb).toFixed(0)} MB, ` +
        `settled +${(settled - baselineMb).toFixed(0)} MB`,
    );
    // Every run is still listed: its window stays, only its memory must not be pinned.
    expect((await connection.client.call('runs.list', {})).length).toBe(7);
    expect(settled - baselineMb).toBeLessThanOrEqual(settledBoundMb);
  }, 30_000);
});
