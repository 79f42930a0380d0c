import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpillReader, SpillStore, SpillWriter } from '../../main/engine/queue/spill';
import { decodeItem, ItemTag, readSpilled } from '../../main/engine/queue/wire';

/** The spill machinery works on any folder; the broker puts it on tmpfs. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'forkscope-spill-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Lets the store's removals (done after the current turn) happen. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('queue spill folder', () => {
  it('what a writer spills reads back the same, across segments, strings and JSON alike', () => {
    const writer = new SpillWriter(dir);
    const reader = new SpillReader(dir);
    const values: unknown[] = [
      'x'.repeat(40_000),
      'é✓'.repeat(30_000),
      { list: Array.from({ length: 5000 }, (_, k) => k), text: 'ü'.repeat(10_000) },
      // Five of 2 MiB: past a segment's 8 MiB, so the last ones are in the next segment.
      ...Array.from({ length: 5 }, (_, k) => String(k).repeat(2 * 1024 * 1024)),
    ];
    const items = values.map((value) => {
      const isString = typeof value === 'string';
      const text = isString ? value : JSON.stringify(value);
      const item = writer.write(isString ? ItemTag.string : ItemTag.json, text);
      expect(item).not.toBeNull();
      return item!;
    });
    expect(new Set(items.map((item) => readSpilled(item).seq))).toEqual(new Set([0, 1]));
    for (const [k, item] of items.entries())
      expect(decodeItem(item, (ref) => reader.read(ref))).toEqual(values[k]);
    // Read again out of order: a segment closed and opened again reads the same.
    expect(decodeItem(items[0]!, (ref) => reader.read(ref))).toEqual(values[0]);
    reader.close();
  });

  it('a writer whose folder is gone says so (null): its items go inline', () => {
    const writer = new SpillWriter(join(dir, 'missing'));
    expect(writer.write(ItemTag.string, 'a'.repeat(40_000))).toBeNull();
  });

  it('a segment goes back to its writer once complete and empty; a gone writer’s files are removed', async () => {
    const writer = new SpillWriter(dir);
    const store = new SpillStore(dir);
    const handedBack: number[] = [];
    const arrive = (text: string) => {
      const item = writer.write(ItemTag.string, text)!;
      const from = store.arrived(item, (seq) => handedBack.push(seq));
      store.retain(item);
      return { item, writer: from };
    };
    // Three segments: 0 and 1 complete (the writer moved on), 2 the one being written.
    const big = 'q'.repeat(3 * 1024 * 1024);
    const put = Array.from({ length: 7 }, () => arrive(big));
    expect(put.map(({ item }) => readSpilled(item).seq)).toEqual([0, 0, 0, 1, 1, 1, 2]);
    // Segment 0 still holds items: nothing is handed back until its last one is got.
    store.release(put[0]!.item);
    store.release(put[1]!.item);
    expect(handedBack).toEqual([]);
    store.release(put[2]!.item);
    expect(handedBack).toEqual([0]);
    // The writer writes over it: renamed to its next segment, not a new file.
    const w = put[0]!.writer;
    writer.freed(w, 0);
    const later = Array.from({ length: 3 }, () => arrive(big));
    expect(readdirSync(dir).sort()).toEqual([`${w}-1`, `${w}-2`, `${w}-3`]);
    // Segment 1 is handed back too, but its writer ends before writing over it.
    for (const { item } of put.slice(3, 6)) store.release(item);
    expect(handedBack).toEqual([0, 1]);
    store.writerGone(w);
    await nextTurn();
    // Gone: what held nothing; kept: what still holds items, until they are got.
    expect(readdirSync(dir).sort()).toEqual([`${w}-2`, `${w}-3`]);
    for (const { item } of [put[6]!, ...later]) store.release(item);
    await nextTurn();
    expect(readdirSync(dir)).toEqual([]);
    expect(handedBack).toEqual([0, 1]);
  });
});
