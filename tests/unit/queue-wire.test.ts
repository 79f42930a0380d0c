import { describe, expect, it } from 'vitest';
import { FrameReader, FrameWriter, SlabPool, SlabReader } from '../../main/engine/queue/framing';
import {
  decodeItem,
  encodeItem,
  Frame,
  headerBytes,
  itemPreviewBytes,
  itemsFrameHead,
  ItemTag,
  itemTextBytes,
  previewItem,
  readAck,
  readCall,
  readError,
  readGet,
  readGiveBack,
  readHello,
  readItems,
  readNotice,
  readPut,
  readPutWait,
  readRecall,
  readReply,
  readSpilled,
  spilledItem,
  WireError,
  writeAck,
  writeCall,
  writeError,
  writeGet,
  writeGiveBack,
  writeHello,
  writeItems,
  writeNotice,
  writePut,
  writePutWait,
  writeRecall,
  writeReply,
  type ItemLists,
  type ItemsPart,
} from '../../main/engine/queue/wire';

/** A small seeded generator (mulberry32): the same bytes on every run, so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(next: () => number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let k = 0; k < length; k++) out[k] = Math.floor(next() * 256);
  return out;
}

/** The frames a writer produced, read back through FrameReader from chunks cut at random places. */
function framesOf(write: (w: FrameWriter) => void, seed = 1): { type: number; body: Buffer }[] {
  const w = new FrameWriter(1024);
  write(w);
  return readBack(w.take(), seed);
}

function readBack(bytes: Buffer, seed = 1): { type: number; body: Buffer }[] {
  const frames: { type: number; body: Buffer }[] = [];
  const reader = new FrameReader((type, body) => frames.push({ type, body: Buffer.from(body) }));
  const next = random(seed);
  for (let at = 0; at < bytes.length;) {
    const cut = Math.min(bytes.length, at + 1 + Math.floor(next() * 40));
    reader.push(Buffer.from(bytes.subarray(at, cut)));
    at = cut;
  }
  return frames;
}

/** The one frame a writer produced, checked to be of `type`. */
function oneFrame(type: number, write: (w: FrameWriter) => void): Buffer {
  const frames = framesOf(write);
  expect(frames.map((frame) => frame.type)).toEqual([type]);
  return frames[0]!.body;
}

const text = (item: unknown) =>
  [
    typeof item === 'string' ? ItemTag.string : ItemTag.json,
    typeof item === 'string' ? item : JSON.stringify(item),
  ] as const;

const lists = (): ItemLists => ({ ids: [], items: [] });

describe('queue wire: every frame type round-trips', () => {
  it('hello', () => {
    const hello = { secret: 'f00d', pid: 4242, refs: [1, 2, 70000] };
    expect(readHello(oneFrame(Frame.hello, (w) => writeHello(w, hello)))).toEqual(hello);
  });

  it('put, with a string item and a JSON item', () => {
    for (const item of ['héllo ✓', { a: [1, 2, null] }]) {
      const put = readPut(oneFrame(Frame.put, (w) => writePut(w, 7, text(item))));
      expect(put.ref).toBe(7);
      expect(decodeItem(put.item)).toEqual(item);
    }
  });

  it('putWait, blocking with no timeout and non-blocking with one', () => {
    for (const head of [
      { req: 1, ref: 2, timeoutMs: -1, block: true },
      { req: 0xffffffff, ref: 0, timeoutMs: 1.5, block: false },
    ]) {
      const put = readPutWait(oneFrame(Frame.putWait, (w) => writePutWait(w, head, text([1, 'two']))));
      expect({ ...put, item: decodeItem(put.item) }).toEqual({ ...head, item: [1, 'two'] });
    }
  });

  it('get', () => {
    const get = { req: 9, ref: 3, timeoutMs: 250, block: true, want: 4096 };
    expect(readGet(oneFrame(Frame.get, (w) => writeGet(w, get)))).toEqual(get);
  });

  it('ack and giveBack, empty and not', () => {
    for (const ids of [[], [1, 5, 0xfffffffe]]) {
      const ack = readAck(oneFrame(Frame.ack, (w) => writeAck(w, 4, ids)));
      expect({ ref: ack.ref, ids: [...ack.ids] }).toEqual({ ref: 4, ids });
      const back = readGiveBack(oneFrame(Frame.giveBack, (w) => writeGiveBack(w, 5, ids)));
      expect({ ref: back.ref, ids: [...back.ids] }).toEqual({ ref: 5, ids });
    }
  });

  it('call, with and without a timeout', () => {
    for (const call of [
      { op: 'qsize', ref: 1 },
      { op: 'join', ref: 2, timeoutMs: -1 },
    ]) {
      expect(readCall(oneFrame(Frame.call, (w) => writeCall(w, 11, call)))).toEqual({ req: 11, call });
    }
  });

  it('items, copied into the writer: every part, ids and items in order', () => {
    const ids = [10, 11, 12, 13];
    const items = ['a', '', 'ccc', 'dddd'].map((item) => encodeItem(item));
    const frames = framesOf((w) => {
      writeItems(w, { req: 3, ref: 8, more: 2 }, ids, items, 0, 2, items[0]!.length + items[1]!.length);
      writeItems(w, { req: 3, ref: 8, more: 0 }, ids, items, 2, 2, items[2]!.length + items[3]!.length);
    });
    const got = lists();
    const parts = frames.map((frame) => {
      expect(frame.type).toBe(Frame.items);
      return readItems(frame.body, (part) => {
        expect(part).toMatchObject({ req: 3, ref: 8 });
        return got;
      });
    });
    expect(parts).toEqual([
      { req: 3, ref: 8, more: 2, n: 2 },
      { req: 3, ref: 8, more: 0, n: 2 },
    ]);
    expect(got.ids).toEqual(ids);
    expect(got.items.map((item) => decodeItem(item))).toEqual(['a', '', 'ccc', 'dddd']);
  });

  it('items, sent as a header and the items’ own buffers: the same frame as copied', () => {
    const ids = [1, 2];
    const items = [encodeItem('x'.repeat(5000)), encodeItem({ big: 'y'.repeat(5000) })];
    const bytes = items[0]!.length + items[1]!.length;
    const part: ItemsPart = { req: 77, ref: 6, more: 0 };
    const direct = Buffer.concat([itemsFrameHead(part, ids, items, 0, 2, bytes), ...items]);
    const w = new FrameWriter(1024);
    writeItems(w, part, ids, items, 0, 2, bytes);
    expect(direct.equals(w.take())).toBe(true);
    const [frame] = readBack(direct);
    const got = lists();
    expect(readItems(frame!.body, () => got)).toEqual({ ...part, n: 2 });
    expect(got.ids).toEqual(ids);
    expect(got.items.map((item) => decodeItem(item))).toEqual(['x'.repeat(5000), { big: 'y'.repeat(5000) }]);
  });

  it('reply, error, recall, notice', () => {
    expect(readReply(oneFrame(Frame.reply, (w) => writeReply(w, 5, { id: 3 })))).toEqual({
      req: 5,
      value: { id: 3 },
    });
    expect(readReply(oneFrame(Frame.reply, (w) => writeReply(w, 6, null)))).toEqual({ req: 6, value: null });
    const error = { code: 'full', message: 'Queue q1 is full (maxsize 2).' };
    expect(readError(oneFrame(Frame.error, (w) => writeError(w, 8, error)))).toEqual({ req: 8, error });
    expect(readRecall(oneFrame(Frame.recall, (w) => writeRecall(w, 12)))).toEqual({ ref: 12 });
    expect(readNotice(oneFrame(Frame.notice, (w) => writeNotice(w, 13, error)))).toEqual({ ref: 13, error });
  });

  it('a spilled item: where its text is and its first bytes, in a put; read back through its reader', () => {
    const value = { big: 'ü'.repeat(200) };
    const textBytes = Buffer.from(JSON.stringify(value));
    const ref = { tag: ItemTag.json, writer: 99, seq: 3, offset: 4096, length: textBytes.length } as const;
    const put = readPut(oneFrame(Frame.put, (w) => writePut(w, 5, spilledItem(ref, textBytes))));
    expect(readSpilled(put.item)).toEqual(ref);
    expect(itemTextBytes(put.item)).toBe(textBytes.length);
    // The lineage sees the same preview as for the item sent inline.
    const inline = encodeItem(value);
    expect(previewItem(put.item, itemPreviewBytes)).toBe(previewItem(inline, itemPreviewBytes));
    expect(itemTextBytes(inline)).toBe(textBytes.length);
    expect(decodeItem(put.item, (where) => (expect(where).toEqual(ref), textBytes))).toEqual(value);
    // Without a reader (no spill folder known) it is refused, not guessed.
    expect(() => decodeItem(put.item)).toThrow(WireError);
    const short = spilledItem({ ...ref, tag: ItemTag.string, length: 3 }, Buffer.from('abc'));
    expect(previewItem(short, itemPreviewBytes)).toBe('"abc"');
  });

  it('many frames back to back read the same through the slab reader (in place)', () => {
    const w = new FrameWriter(4096);
    for (let k = 0; k < 300; k++) writePut(w, k, text(`item ${k} ${'z'.repeat(k * 7)}`));
    const bytes = w.take();
    const seen: number[] = [];
    const reader = new SlabReader(
      (type, body) => {
        expect(type).toBe(Frame.put);
        const put = readPut(body);
        expect(decodeItem(put.item)).toBe(`item ${put.ref} ${'z'.repeat(put.ref * 7)}`);
        seen.push(put.ref);
      },
      new SlabPool(8192, 2),
      1024,
    );
    const next = random(3);
    for (let at = 0; at < bytes.length;) {
      const into = reader.buffer();
      const n = Math.min(into.length, bytes.length - at, 1 + Math.floor(next() * 3000));
      bytes.copy(into, 0, at, at + n);
      reader.landed(n);
      at += n;
    }
    expect(seen).toEqual([...Array(300).keys()]);
  });

  it('items: strings travel as themselves, the rest as JSON; previews are cut', () => {
    for (const item of ['', 'plain', 'ü∂', 'a'.repeat(300), 0, false, null, [1, { b: 'c' }]]) {
      expect(decodeItem(encodeItem(item))).toEqual(item);
    }
    expect(encodeItem('s')[0]).toBe(ItemTag.string);
    expect(encodeItem({})[0]).toBe(ItemTag.json);
    expect(previewItem(encodeItem('abcdef'), 3)).toBe('"abc…');
    expect(previewItem(encodeItem([1, 2, 3]), 3)).toBe('[1,…');
    expect(() => encodeItem(undefined)).toThrow(TypeError);
  });
});

describe('queue wire: bytes that are not a frame never crash a reader', () => {
  const readers: Record<string, (body: Buffer) => unknown> = {
    hello: readHello,
    put: readPut,
    putWait: readPutWait,
    get: readGet,
    ack: readAck,
    giveBack: readGiveBack,
    call: readCall,
    items: (body) => readItems(body, lists),
    reply: readReply,
    error: readError,
    recall: readRecall,
    notice: readNotice,
    item: decodeItem,
    spilled: readSpilled,
  };
  /** Valid bodies to mutate: random bytes alone rarely get past a length check. */
  const valid = framesOf((w) => {
    writeHello(w, { secret: 'abc', pid: 1, refs: [1] });
    writePut(w, 1, text('x'));
    writePutWait(w, { req: 1, ref: 1, timeoutMs: 5, block: true }, text({ a: 1 }));
    writeGet(w, { req: 1, ref: 1, timeoutMs: -1, block: false, want: 10 });
    writeAck(w, 1, [1, 2, 3]);
    writeCall(w, 1, { op: 'join', ref: 1, timeoutMs: 10 });
    writeItems(w, { req: 1, ref: 1, more: 0 }, [1, 2], [encodeItem('a'), encodeItem([2])], 0, 2, 6);
    writeReply(w, 1, { id: 1 });
    writeNotice(w, 1, { code: 'full', message: 'm' });
  }).map((frame) => frame.body);
  valid.push(
    spilledItem({ tag: ItemTag.string, writer: 1, seq: 2, offset: 3, length: 200 }, Buffer.alloc(200, 97)),
  );

  function expectOnlyWireErrors(read: (body: Buffer) => unknown, body: Buffer): void {
    try {
      read(body);
    } catch (error) {
      if (!(error instanceof WireError))
        throw new Error(`${(error as Error).name}: ${(error as Error).message} on ${body.toString('hex')}`);
    }
  }

  for (const [name, read] of Object.entries(readers)) {
    it(`${name}: random and mutated bodies give a value or a WireError`, () => {
      const next = random(name.length * 7919);
      for (let k = 0; k < 1500; k++) {
        let body: Buffer;
        if (k % 2 === 0) body = randomBytes(next, Math.floor(next() * 64));
        else {
          body = Buffer.from(valid[Math.floor(next() * valid.length)]!);
          for (let flips = 1 + Math.floor(next() * 3); flips > 0 && body.length > 0; flips--)
            body[Math.floor(next() * body.length)] = Math.floor(next() * 256);
          if (next() < 0.3) body = body.subarray(0, Math.floor(next() * body.length));
        }
        expectOnlyWireErrors(read, body);
      }
    });
  }

  it('framing: a random stream gives frames or a WireError, never anything else', () => {
    const next = random(42);
    for (let k = 0; k < 300; k++) {
      // Small lengths mostly, so frames are found and handed on; now and then garbage lengths.
      const stream = randomBytes(next, 4 + Math.floor(next() * 200));
      if (next() < 0.8) stream.writeUInt32LE(Math.floor(next() * 40), 0);
      const reader = new FrameReader((_type, body) => expectOnlyWireErrors(readReply, body));
      expectOnlyWireErrors(() => {
        for (let at = 0; at < stream.length; at += 17) reader.push(stream.subarray(at, at + 17));
      }, stream);
    }
  });

  it('framing: a zero length is refused (it has no type byte), not read past', () => {
    const reader = new FrameReader(() => {});
    expect(() => reader.push(Buffer.from([0, 0, 0, 0, 1, 0, 0, 0]))).toThrow(WireError);
    expect(headerBytes).toBe(5);
  });
});
