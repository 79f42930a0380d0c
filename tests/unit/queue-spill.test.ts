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

/** Lets the store's renames and removals (done after the current turn) happen. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const files = () => readdirSync(dir).sort();

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

  it('an emptied segment goes to a free slot and its writer writes over it; a gone writer’s files are removed', async () => {
    const writer = new SpillWriter(dir);
    const reader = new SpillReader(dir);
    const store = new SpillStore(dir);
    const arrive = (text: string) => {
      const item = writer.write(ItemTag.string, text)!;
      store.arrived(item);
      store.retain(item);
      return item;
    };
    // Segments 0 and 1 complete (the writer moved on), 2 the one being written.
    const big = 'q'.repeat(3 * 1024 * 1024);
    const put = Array.from({ length: 7 }, () => arrive(big));
    const w = readSpilled(put[0]!).writer;
    expect(put.map((item) => readSpilled(item).seq)).toEqual([0, 0, 0, 1, 1, 1, 2]);
    // Segment 0 still holds an item: it stays until its last one is got.
    store.release(put[0]!);
    store.release(put[1]!);
    await nextTurn();
    expect(files()).toEqual([`${w}-0`, `${w}-1`, `${w}-2`]);
    store.release(put[2]!);
    await nextTurn();
    expect(files()).toEqual([`${w}-1`, `${w}-2`, `${w}-free0`]);
    // The writer's next segment is that file, renamed; what it writes there reads back.
    const later = Array.from({ length: 3 }, () => arrive('s'.repeat(3 * 1024 * 1024)));
    expect(readSpilled(later[2]!).seq).toBe(3);
    expect(files()).toEqual([`${w}-1`, `${w}-2`, `${w}-3`]);
    expect(decodeItem(later[2]!, (ref) => reader.read(ref))).toBe('s'.repeat(3 * 1024 * 1024));
    reader.close();
    // Segment 1 emptied too, then the writer's process ends: what holds nothing is removed,
    // what still holds items stays until they are got.
    for (const item of put.slice(3, 6)) store.release(item);
    await nextTurn();
    expect(files()).toEqual([`${w}-2`, `${w}-3`, `${w}-free0`]);
    store.writerGone(w);
    await nextTurn();
    expect(files()).toEqual([`${w}-2`, `${w}-3`]);
    for (const item of [put[6]!, ...later]) store.release(item);
    await nextTurn();
    expect(files()).toEqual([]);
  });

  it('a segment already empty when its writer moves on goes to a free slot at once', async () => {
    const writer = new SpillWriter(dir);
    const store = new SpillStore(dir);
    const big = 'r'.repeat(3 * 1024 * 1024);
    // The consumer keeps up: each item is got before the next is put.
    const seqs: number[] = [];
    let w = 0;
    for (let k = 0; k < 4; k++) {
      const item = writer.write(ItemTag.string, big)!;
      w = store.arrived(item);
      store.retain(item);
      seqs.push(readSpilled(item).seq);
      store.release(item);
    }
    expect(seqs).toEqual([0, 0, 0, 1]);
    await nextTurn();
    expect(files()).toEqual([`${w}-1`, `${w}-free0`]);
  });
});
