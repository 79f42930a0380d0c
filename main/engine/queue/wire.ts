/**
 * The queue's wire format, for both ends: the broker (main process, `broker/`) and the queue
 * client (children, `child/`) exchange length-prefixed binary frames on a Unix domain socket (a
 * named pipe on Windows); `framing.ts` cuts the byte stream into frames. Every frame type is
 * written and read here and nowhere else, and `tests/unit/queue-wire.test.ts` round-trips each one
 * and feeds the readers random bytes.
 *
 *   [u32 length of the rest][u8 type][body]
 *
 * Items travel as a tag byte plus their text, untouched by the broker, so it never parses what it
 * only forwards; a large item's text goes round the broker (spill.ts), and only where it is passes
 * through, which the broker reads to know when that space is free. Readers check every length and value against the body and throw `WireError` on
 * anything else: a peer that does not speak this protocol loses its connection and nothing more.
 */
import { isAscii } from 'node:buffer';
import type { FrameWriter } from './framing';

export const Frame = {
  // client → broker
  hello: 1, // json {secret, pid, refs}
  put: 2, // [u32 ref][item] — pipelined: no reply unless it is refused (notice)
  putWait: 3, // [u32 req][u32 ref][f64 timeout][u8 block][item] → reply | error
  get: 4, // [u32 req][u32 ref][f64 timeout][u8 block][u32 want] → items | error
  ack: 5, // [u32 ref][u32 n][u32 id]* — items handed to the program by get()
  call: 6, // [u32 req][json {op, ref, timeoutMs?}] → reply | error
  giveBack: 7, // [u32 ref][u32 n][u32 id]* — leased items not handed out, returned on recall
  // broker → client
  // A lease leaves as one or more items frames (parts of ~128 KiB, so the child can hand out the
  // first items while the rest are on their way): `more` counts the items still to come for req,
  // 0 in the last part. The ids and lengths come first, then the items back to back, so a part is
  // one header and the items' own buffers (writev, no copy).
  items: 10, // [u32 req][u32 ref][u32 n][u32 more]([u32 id][u32 len])*n (item)*n
  reply: 11, // [u32 req][json]
  error: 12, // [u32 req][json {code, message}]
  recall: 13, // [u32 ref]
  notice: 14, // [u32 ref][json {code, message}]
} as const;

/** The length prefix and the type byte. */
export const headerBytes = 5;

/** A frame may carry one item of up to this size (JSON text). */
export const maxItemBytes = 256 * 1024 * 1024;

/** Bytes that are not a frame of this protocol (cut short, a length past the end, bad JSON). */
export class WireError extends Error {
  override name = 'WireError';
}

/** What a child's handle needs to reach the broker (it travels in the child's environment). */
export interface BrokerAddress {
  path: string;
  secret: string;
}

// ---- items ------------------------------------------------------------------------------------

/**
 * An item's bytes start with a tag: a string travels as its UTF-8 bytes (no JSON.stringify and
 * JSON.parse, which cost more than the copy for large strings, as pickle special-cases str);
 * anything else as JSON text. A large item is `spilled`: its text is in a file the producer wrote
 * in the broker's spill folder (spill.ts), and the frame holds only where it is and its first bytes.
 */
export const ItemTag = { json: 0, string: 1, spilled: 2 } as const;
export type ItemTag = (typeof ItemTag)[keyof typeof ItemTag];
/** What an item's text is: a string, or JSON. */
export type TextTag = typeof ItemTag.json | typeof ItemTag.string;

/** An item as a client sends it: its tag and its text, written as UTF-8 straight into the frame. */
export type ItemText = readonly [tag: TextTag, text: string];

/** How many bytes of an item's text a person sees in the lineage (a spilled item carries them). */
export const itemPreviewBytes = 96;

/**
 * Where a spilled item's text is: `length` bytes at `offset` of segment `seq` of writer `writer`
 * (a random id per producing process: file `<writer>-<seq>` in the spill folder).
 *
 *   [u8 2][u8 text tag][u32 writer][u32 seq][u32 offset][u32 length][first bytes of the text]
 */
export interface SpilledItem {
  tag: TextTag;
  writer: number;
  seq: number;
  offset: number;
  length: number;
}

const spilledHeadBytes = 18;

/** A spilled item's bytes; `head` is the start of its text (at most `itemPreviewBytes` are kept). */
export function spilledItem(ref: SpilledItem, head: Buffer): Buffer {
  const kept = Math.min(head.length, itemPreviewBytes, ref.length);
  const out = Buffer.allocUnsafe(spilledHeadBytes + kept);
  out[0] = ItemTag.spilled;
  out[1] = ref.tag;
  out.writeUInt32LE(ref.writer, 2);
  out.writeUInt32LE(ref.seq, 6);
  out.writeUInt32LE(ref.offset, 10);
  out.writeUInt32LE(ref.length, 14);
  head.copy(out, spilledHeadBytes, 0, kept);
  return out;
}

export const isSpilled = (bytes: Buffer): boolean => bytes[0] === ItemTag.spilled;

export function readSpilled(bytes: Buffer): SpilledItem {
  if (bytes.length < spilledHeadBytes || bytes[0] !== ItemTag.spilled)
    throw new WireError(`a spilled item of ${bytes.length} bytes`);
  const tag = bytes[1];
  if (tag !== ItemTag.json && tag !== ItemTag.string) throw new WireError(`a spilled item with tag ${tag}`);
  const length = bytes.readUInt32LE(14);
  if (length > maxItemBytes || bytes.length - spilledHeadBytes !== Math.min(length, itemPreviewBytes))
    throw new WireError(`a spilled item of ${length} bytes carrying ${bytes.length - spilledHeadBytes}`);
  return {
    tag,
    writer: bytes.readUInt32LE(2),
    seq: bytes.readUInt32LE(6),
    offset: bytes.readUInt32LE(10),
    length,
  };
}

/** The length of an item's text, wherever it is. */
export const itemTextBytes = (bytes: Buffer): number =>
  isSpilled(bytes) && bytes.length >= spilledHeadBytes ? bytes.readUInt32LE(14) : bytes.length - 1;

function decodeText(tag: number | undefined, bytes: Buffer, from: number): unknown {
  if (tag === ItemTag.string) {
    // ASCII text (most of it) is read as latin1: a plain copy, without the UTF-8 decoder's checks.
    if (bytes.length - from > 256 && isAscii(bytes.subarray(from))) return bytes.toString('latin1', from);
    return bytes.toString('utf8', from);
  }
  if (tag !== ItemTag.json) throw new WireError(`an item with tag ${tag ?? 'none'}`);
  try {
    return JSON.parse(bytes.toString('utf8', from)) as unknown;
  } catch {
    throw new WireError('an item whose JSON is malformed');
  }
}

/**
 * The item's value. A spilled item's text is read by `readText` (the spill folder's reader); the
 * bytes it returns are used before it is called again.
 */
export function decodeItem(bytes: Buffer, readText?: (ref: SpilledItem) => Buffer): unknown {
  if (!isSpilled(bytes)) return decodeText(bytes[0], bytes, 1);
  const ref = readSpilled(bytes);
  if (!readText) throw new WireError('a spilled item where no spill folder is known');
  return decodeText(ref.tag, readText(ref), 0);
}

/** The item as JSON text, cut to `max` bytes: what a person sees in the lineage. */
export function previewItem(bytes: Buffer, max: number): string {
  const spilled = isSpilled(bytes);
  const from = spilled ? spilledHeadBytes : 1;
  const length = itemTextBytes(bytes);
  const cut = length > max;
  const text = bytes.toString('utf8', from, Math.min(bytes.length, from + max));
  if ((spilled ? bytes[1] : bytes[0]) === ItemTag.string)
    return cut ? `${JSON.stringify(text).slice(0, -1)}…` : JSON.stringify(text);
  return cut ? `${text}…` : text;
}

/** For the engine's own puts: tag + text. */
export function encodeItem(item: unknown): Buffer {
  const isString = typeof item === 'string';
  const text = isString ? item : JSON.stringify(item);
  if (text === undefined) throw new TypeError(`${typeof item} is not a JSON value`);
  const out = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
  out[0] = isString ? ItemTag.string : ItemTag.json;
  out.write(text, 1, 'utf8');
  return out;
}

// ---- reading helpers --------------------------------------------------------------------------

function need(body: Buffer, bytes: number, what: string): void {
  if (body.length < bytes)
    throw new WireError(`a ${what} frame of ${body.length} bytes is cut short (it needs ${bytes})`);
}

function json(body: Buffer, from: number, what: string): unknown {
  try {
    return JSON.parse(body.toString('utf8', from)) as unknown;
  } catch {
    throw new WireError(`a ${what} frame whose JSON is malformed`);
  }
}

const isU32 = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;

/** Milliseconds, or -1: wait for as long as it takes. */
function timeoutAt(body: Buffer, at: number, what: string): number {
  const timeoutMs = body.readDoubleLE(at);
  if (timeoutMs === -1 || (timeoutMs >= 0 && Number.isFinite(timeoutMs))) return timeoutMs;
  throw new WireError(`a ${what} frame with a timeout of ${timeoutMs}`);
}

function flagAt(body: Buffer, at: number, what: string): boolean {
  const flag = body[at];
  if (flag === 0 || flag === 1) return flag === 1;
  throw new WireError(`a ${what} frame with a block flag of ${flag}`);
}

function writeJson(w: FrameWriter, type: number, head: number, value: unknown): void {
  const text = JSON.stringify(value);
  const start = w.begin(type, 4 + text.length * 3);
  w.u32(head);
  w.text(text);
  w.end(start);
}

/** Both are the API's: the code of `contract/errors.ts` and a sentence. */
export interface WireFailure {
  code: string;
  message: string;
}

function failure(body: Buffer, what: string): WireFailure {
  const value = json(body, 4, what) as Partial<WireFailure> | null;
  if (typeof value?.code !== 'string' || typeof value.message !== 'string')
    throw new WireError(`a ${what} frame must hold {code, message}`);
  return { code: value.code, message: value.message };
}

// ---- client → broker --------------------------------------------------------------------------

export interface Hello {
  secret: string;
  pid: number;
  refs: number[];
}

export function writeHello(w: FrameWriter, hello: Hello): void {
  const text = JSON.stringify({ secret: hello.secret, pid: hello.pid, refs: hello.refs });
  const start = w.begin(Frame.hello, text.length * 3);
  w.text(text);
  w.end(start);
}

export function readHello(body: Buffer): Hello {
  const value = json(body, 0, 'hello') as Partial<Hello> | null;
  if (
    typeof value?.secret !== 'string' ||
    !isU32(value.pid) ||
    !Array.isArray(value.refs) ||
    !value.refs.every(isU32)
  )
    throw new WireError('a hello frame must hold {secret, pid, refs}');
  return { secret: value.secret, pid: value.pid, refs: value.refs };
}

/** What a client puts: the item's tag and text, or a spilled item's bytes (`spilledItem`). */
export type ItemOut = ItemText | Buffer;

const itemOutBytes = (item: ItemOut): number =>
  Buffer.isBuffer(item) ? item.length : 1 + item[1].length * 3;

function writeItemOut(w: FrameWriter, item: ItemOut): void {
  if (Buffer.isBuffer(item)) return w.bytes(item);
  w.u8(item[0]);
  w.text(item[1]);
}

/** The most bytes a put frame of this item takes, header included (to flush before a large one). */
export const putFrameBytes = (item: ItemOut): number => headerBytes + 4 + itemOutBytes(item);

export function writePut(w: FrameWriter, ref: number, item: ItemOut): void {
  const start = w.begin(Frame.put, 4 + itemOutBytes(item));
  w.u32(ref);
  writeItemOut(w, item);
  w.end(start);
}

export interface Put {
  ref: number;
  /** Tag and text: a view of the frame. */
  item: Buffer;
}

export function readPut(body: Buffer): Put {
  need(body, 5, 'put');
  return { ref: body.readUInt32LE(0), item: body.subarray(4) };
}

/** The head a putWait and a get share: [u32 req][u32 ref][f64 timeout][u8 block]. */
export interface Wait {
  req: number;
  ref: number;
  /** Milliseconds, or -1: no timeout. */
  timeoutMs: number;
  block: boolean;
}

const waitBytes = 17;

function writeWait(w: FrameWriter, wait: Wait): void {
  w.u32(wait.req);
  w.u32(wait.ref);
  w.f64(wait.timeoutMs);
  w.u8(wait.block ? 1 : 0);
}

function readWait(body: Buffer, what: string): Wait {
  return {
    req: body.readUInt32LE(0),
    ref: body.readUInt32LE(4),
    timeoutMs: timeoutAt(body, 8, what),
    block: flagAt(body, 16, what),
  };
}

export interface PutWait extends Wait {
  /** Tag and text: a view of the frame. */
  item: Buffer;
}

export function writePutWait(w: FrameWriter, wait: Wait, item: ItemOut): void {
  const start = w.begin(Frame.putWait, waitBytes + itemOutBytes(item));
  writeWait(w, wait);
  writeItemOut(w, item);
  w.end(start);
}

export function readPutWait(body: Buffer): PutWait {
  need(body, waitBytes + 1, 'putWait');
  return { ...readWait(body, 'putWait'), item: body.subarray(waitBytes) };
}

export interface Get extends Wait {
  /** The most items the client wants leased at once. */
  want: number;
}

export function writeGet(w: FrameWriter, get: Get): void {
  const start = w.begin(Frame.get, waitBytes + 4);
  writeWait(w, get);
  w.u32(get.want);
  w.end(start);
}

export function readGet(body: Buffer): Get {
  need(body, waitBytes + 4, 'get');
  return { ...readWait(body, 'get'), want: body.readUInt32LE(waitBytes) };
}

/** An ack or a giveBack: item ids of one queue. */
export interface IdList {
  ref: number;
  ids: Uint32Array;
}

function writeIdList(w: FrameWriter, type: number, ref: number, ids: readonly number[]): void {
  const start = w.begin(type, 8 + ids.length * 4);
  w.u32(ref);
  w.u32(ids.length);
  for (const id of ids) w.u32(id);
  w.end(start);
}

function readIdList(body: Buffer, what: string): IdList {
  need(body, 8, what);
  const n = body.readUInt32LE(4);
  if (body.length !== 8 + 4 * n) throw new WireError(`a ${what} frame of ${body.length} bytes for ${n} ids`);
  const ids = new Uint32Array(n);
  for (let k = 0; k < n; k++) ids[k] = body.readUInt32LE(8 + 4 * k);
  return { ref: body.readUInt32LE(0), ids };
}

export const writeAck = (w: FrameWriter, ref: number, ids: readonly number[]): void =>
  writeIdList(w, Frame.ack, ref, ids);
export const readAck = (body: Buffer): IdList => readIdList(body, 'ack');
export const writeGiveBack = (w: FrameWriter, ref: number, ids: readonly number[]): void =>
  writeIdList(w, Frame.giveBack, ref, ids);
export const readGiveBack = (body: Buffer): IdList => readIdList(body, 'giveBack');

/** Everything else a client asks of a queue: qsize, empty, full, taskDone, join, poll, close. */
export interface QueueCall {
  op: string;
  ref: number;
  /** Milliseconds; -1 (or absent, for join) waits for as long as it takes. */
  timeoutMs?: number;
}

export function writeCall(w: FrameWriter, req: number, call: QueueCall): void {
  writeJson(w, Frame.call, req, call);
}

export function readCall(body: Buffer): { req: number; call: QueueCall } {
  need(body, 4, 'call');
  const call = json(body, 4, 'call') as Partial<QueueCall> | null;
  if (
    typeof call?.op !== 'string' ||
    !isU32(call.ref) ||
    (call.timeoutMs !== undefined && (typeof call.timeoutMs !== 'number' || Number.isNaN(call.timeoutMs)))
  )
    throw new WireError('a call frame must hold {op, ref, timeoutMs?}');
  const out: QueueCall = { op: call.op, ref: call.ref };
  if (call.timeoutMs !== undefined) out.timeoutMs = call.timeoutMs;
  return { req: body.readUInt32LE(0), call: out };
}

// ---- broker → client --------------------------------------------------------------------------

/** The fixed part of an items frame and its ids and lengths, for `n` items. */
export const itemsHeadBytes = (n: number): number => 16 + 8 * n;

export interface ItemsPart {
  req: number;
  ref: number;
  /** Items still to come for `req` after this part (0: the last part). */
  more: number;
}

/** One layout for both ways of sending a part: ids[from .. from+n) and their items. */
function fillItemsHead(
  head: Buffer,
  part: ItemsPart,
  ids: readonly number[],
  items: readonly Buffer[],
  from: number,
  n: number,
): void {
  head.writeUInt32LE(part.req, 0);
  head.writeUInt32LE(part.ref, 4);
  head.writeUInt32LE(n, 8);
  head.writeUInt32LE(part.more, 12);
  for (let j = 0; j < n; j++) {
    head.writeUInt32LE(ids[from + j]!, 16 + 8 * j);
    head.writeUInt32LE(items[from + j]!.length, 20 + 8 * j);
  }
}

/** A part of a lease copied into the writer (small items); `bytes` is the items' total length. */
export function writeItems(
  w: FrameWriter,
  part: ItemsPart,
  ids: readonly number[],
  items: readonly Buffer[],
  from: number,
  n: number,
  bytes: number,
): void {
  const head = itemsHeadBytes(n);
  const start = w.begin(Frame.items, head + bytes);
  fillItemsHead(w.room(head), part, ids, items, from, n);
  for (let j = 0; j < n; j++) w.bytes(items[from + j]!);
  w.end(start);
}

/**
 * The header of a part of a lease sent from the items' own buffers (large items, no copy): write
 * it, then items[from .. from+n) as they are.
 */
export function itemsFrameHead(
  part: ItemsPart,
  ids: readonly number[],
  items: readonly Buffer[],
  from: number,
  n: number,
  bytes: number,
): Buffer {
  const head = itemsHeadBytes(n);
  const frame = Buffer.allocUnsafe(headerBytes + head);
  frame.writeUInt32LE(1 + head + bytes, 0);
  frame[4] = Frame.items;
  fillItemsHead(frame.subarray(headerBytes), part, ids, items, from, n);
  return frame;
}

/** Where a part's items go: a queue's local buffer in the client. */
export interface ItemLists {
  ids: number[];
  items: Buffer[];
}

/**
 * Reads a part of a lease, once the whole part has been checked: its ids and items (views of the
 * body) are appended to the lists `into` picks for the part's queue.
 */
export function readItems(body: Buffer, into: (part: ItemsPart) => ItemLists): ItemsPart & { n: number } {
  need(body, 16, 'items');
  const n = body.readUInt32LE(8);
  const head = itemsHeadBytes(n);
  if (head > body.length) throw new WireError(`an items frame of ${body.length} bytes for ${n} items`);
  let end = head;
  for (let k = 0; k < n; k++) end += body.readUInt32LE(20 + 8 * k);
  if (end !== body.length) throw new WireError(`an items frame of ${body.length} bytes holding ${end}`);
  const part = { req: body.readUInt32LE(0), ref: body.readUInt32LE(4), more: body.readUInt32LE(12), n };
  const lists = into(part);
  let off = head;
  for (let k = 0; k < n; k++) {
    const length = body.readUInt32LE(20 + 8 * k);
    lists.ids.push(body.readUInt32LE(16 + 8 * k));
    lists.items.push(body.subarray(off, off + length));
    off += length;
  }
  return part;
}

export function writeReply(w: FrameWriter, req: number, value: unknown): void {
  writeJson(w, Frame.reply, req, value ?? null);
}

export function readReply(body: Buffer): { req: number; value: unknown } {
  need(body, 4, 'reply');
  return { req: body.readUInt32LE(0), value: json(body, 4, 'reply') };
}

export function writeError(w: FrameWriter, req: number, error: WireFailure): void {
  writeJson(w, Frame.error, req, { code: error.code, message: error.message });
}

export function readError(body: Buffer): { req: number; error: WireFailure } {
  need(body, 4, 'error');
  return { req: body.readUInt32LE(0), error: failure(body, 'error') };
}

export function writeRecall(w: FrameWriter, ref: number): void {
  const start = w.begin(Frame.recall, 4);
  w.u32(ref);
  w.end(start);
}

export function readRecall(body: Buffer): { ref: number } {
  need(body, 4, 'recall');
  return { ref: body.readUInt32LE(0) };
}

export function writeNotice(w: FrameWriter, ref: number, error: WireFailure): void {
  writeJson(w, Frame.notice, ref, { code: error.code, message: error.message });
}

export function readNotice(body: Buffer): { ref: number; error: WireFailure } {
  need(body, 4, 'notice');
  return { ref: body.readUInt32LE(0), error: failure(body, 'notice') };
}
