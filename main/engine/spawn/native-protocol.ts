/**
 * The wire format between the engine and the native spawn helper (native/spawn-helper.c), both
 * directions, in one place. Little-endian (the helper runs on the engine's machine).
 *
 * Control pipe, engine → helper: frames `u32 length | u8 op | payload`, length counting op and
 * payload.
 *  - `E` the environment of every spawn from now on: `u32 count`, count × `NAME=VALUE\0`.
 *  - `S` a spawn: `u32 id | u8 flags | file\0 cwd\0 cgroup\0 home\0 mark\0 | u32 argc | argv…\0`
 *    (empty cgroup/home: none; mark is `NAME=VALUE` put in the environment, or empty).
 *  - `C` give a launch up before its `S` (a stream could not connect): `u32 id`.
 * Replies, helper → engine, the same framing:
 *  - `R` ready: the 16-byte secret, then the listening socket's abstract name.
 *  - `P` started: `u32 id | i32 pid | i32 flags | u64 start time` (flags: 1 when it was forked
 *    inside its run's cgroup; the start time in clock ticks after boot, 0 if unknown);
 *    `F` could not start: `u32 id | i32 errno | i32 0`;
 *    `X` exited: `u32 id | i32 code (-1 when signalled) | i32 signal number`.
 * Stream sockets, engine → helper's listener: one connection per stream, its first bytes
 * `secret(16) | u32 id | u8 stream (0 stdin, 1 stdout, 2 stderr)`; then it is the child's.
 */
import { constants } from 'node:os';

export const secretBytes = 16;
export const streamIndex = { stdin: 0, stdout: 1, stderr: 2 } as const;
export const flagStdin = 1;

export interface NativeSpawn {
  id: number;
  file: string;
  args: string[];
  cwd: string;
  noStdin: boolean;
  cgroup: string | null;
  home: string | null;
  /** `NAME=VALUE`, or null. */
  mark: string | null;
}

export type NativeReply =
  | { type: 'ready'; secret: Buffer; name: string }
  | { type: 'started'; id: number; pid: number; inCgroup: boolean; startTicks: number | null }
  | { type: 'failed'; id: number; errno: string }
  | { type: 'exited'; id: number; code: number | null; signal: string | null };

function frame(op: string, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32LE(payload.length + 1, 0);
  head.write(op, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

function u32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32LE(value, 0);
  return bytes;
}

/** NUL-terminated strings (the engine's checks refuse NUL bytes inside argv and env first). */
function strings(values: readonly string[]): string {
  return values.map((value) => `${value}\0`).join('');
}

export function encodeEnv(env: Record<string, string>): Buffer {
  const entries = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  return frame('E', Buffer.concat([u32(entries.length), Buffer.from(strings(entries))]));
}

export function encodeSpawn(request: NativeSpawn): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32LE(request.id, 0);
  head[4] = request.noStdin ? 0 : flagStdin;
  const fields = strings([
    request.file,
    request.cwd,
    request.cgroup ?? '',
    request.home ?? '',
    request.mark ?? '',
  ]);
  const argv = [request.file, ...request.args];
  return frame('S', Buffer.concat([head, Buffer.from(fields), u32(argv.length), Buffer.from(strings(argv))]));
}

export function encodeCancel(id: number): Buffer {
  return frame('C', u32(id));
}

/** The first bytes on a stream's connection: who may connect, for which launch, which stream. */
export function encodeStreamHeader(secret: Buffer, id: number, stream: keyof typeof streamIndex): Buffer {
  const header = Buffer.allocUnsafe(secretBytes + 5);
  secret.copy(header, 0, 0, secretBytes);
  header.writeUInt32LE(id, secretBytes);
  header[secretBytes + 4] = streamIndex[stream];
  return header;
}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));
const signalNames = new Map(Object.entries(constants.signals).map(([name, value]) => [value, name]));

function decode(op: string, payload: Buffer): NativeReply | null {
  if (op === 'R') {
    return {
      type: 'ready',
      secret: Buffer.from(payload.subarray(0, secretBytes)),
      name: payload.subarray(secretBytes).toString('latin1'),
    };
  }
  if (payload.length < 12) return null;
  const id = payload.readUInt32LE(0);
  const a = payload.readInt32LE(4);
  const b = payload.readInt32LE(8);
  if (op === 'P') {
    const ticks = payload.length >= 20 ? Number(payload.readBigUInt64LE(12)) : 0;
    return { type: 'started', id, pid: a, inCgroup: (b & 1) !== 0, startTicks: ticks || null };
  }
  if (op === 'F') return { type: 'failed', id, errno: errnoNames.get(a) ?? `errno ${a}` };
  if (op === 'X') {
    return a < 0
      ? { type: 'exited', id, code: null, signal: signalNames.get(b) ?? `SIG${b}` }
      : { type: 'exited', id, code: a, signal: null };
  }
  return null;
}

/** Splits the helper's reply stream into replies; keeps a partial frame for the next chunk. */
export class ReplyReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): NativeReply[] {
    const bytes = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const replies: NativeReply[] = [];
    let at = 0;
    while (bytes.length - at >= 5) {
      const length = bytes.readUInt32LE(at);
      if (bytes.length - at - 4 < length) break;
      const reply = decode(String.fromCharCode(bytes[at + 4]!), bytes.subarray(at + 5, at + 4 + length));
      if (reply) replies.push(reply);
      at += 4 + length;
    }
    this.pending = at < bytes.length ? Buffer.from(bytes.subarray(at)) : Buffer.alloc(0);
    return replies;
  }
}
