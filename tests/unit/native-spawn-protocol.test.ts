/**
 * The native spawn helper's wire format (main/engine/spawn/native-protocol.ts), the engine's end:
 * frames as the C helper lays them out, split anywhere across reads.
 */
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  encodeSpawn,
  encodeStreamHeader,
  ReplyReader,
  secretBytes,
} from '../../main/engine/spawn/native-protocol';

/** A reply as the helper writes it: u32 length, u8 type, three i32. */
function reply(type: string, id: number, a: number, b = 0): Buffer {
  const frame = Buffer.alloc(17);
  frame.writeUInt32LE(13, 0);
  frame.write(type, 4, 'latin1');
  frame.writeUInt32LE(id, 5);
  frame.writeInt32LE(a, 9);
  frame.writeInt32LE(b, 13);
  return frame;
}

/** A started reply as the helper writes it: id, pid, flags, and the start time as a u64. */
function started(id: number, pid: number, flags: number, startTicks: bigint): Buffer {
  const frame = Buffer.alloc(25);
  frame.writeUInt32LE(21, 0);
  frame.write('P', 4, 'latin1');
  frame.writeUInt32LE(id, 5);
  frame.writeInt32LE(pid, 9);
  frame.writeInt32LE(flags, 13);
  frame.writeBigUInt64LE(startTicks, 17);
  return frame;
}

describe('the native spawn helper protocol', () => {
  it('reads replies split at every byte, errno and signal numbers by name', () => {
    const ready = Buffer.concat([Buffer.alloc(secretBytes, 7), Buffer.from('forkscope-spawn-1-ab')]);
    const readyFrame = Buffer.alloc(5);
    readyFrame.writeUInt32LE(ready.length + 1, 0);
    readyFrame.write('R', 4, 'latin1');
    const stream = Buffer.concat([
      readyFrame,
      ready,
      reply('P', 1, 4242),
      started(4, 4343, 1, 2n ** 33n + 5n),
      reply('F', 2, constants.errno.ENOENT),
      reply('X', 1, 3),
      reply('X', 3, -1, constants.signals.SIGKILL),
    ]);
    const expected = [
      { type: 'ready', secret: Buffer.alloc(secretBytes, 7), name: 'forkscope-spawn-1-ab' },
      { type: 'started', id: 1, pid: 4242, inCgroup: false, startTicks: null },
      { type: 'started', id: 4, pid: 4343, inCgroup: true, startTicks: 2 ** 33 + 5 },
      { type: 'failed', id: 2, errno: 'ENOENT' },
      { type: 'exited', id: 1, code: 3, signal: null },
      { type: 'exited', id: 3, code: null, signal: 'SIGKILL' },
    ];
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new ReplyReader();
      const replies = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(replies).toEqual(expected);
    }
  });

  it('lays a spawn out as the helper reads it: id, flags, five strings, then argv with the file first', () => {
    const frame = encodeSpawn({
      id: 9,
      file: 'gzip',
      args: ['-k', 'a b.txt'],
      cwd: '/tmp',
      noStdin: true,
      cgroup: null,
      home: null,
      mark: 'FORKSCOPE_RUN=1.x.s1',
    });
    expect(frame.readUInt32LE(0)).toBe(frame.length - 4);
    expect(String.fromCharCode(frame[4]!)).toBe('S');
    expect(frame.readUInt32LE(5)).toBe(9);
    expect(frame[9]).toBe(0);
    const strings = frame.subarray(10).toString('latin1');
    expect(strings.startsWith('gzip\0/tmp\0\0\0FORKSCOPE_RUN=1.x.s1\0')).toBe(true);
    const argvAt = 10 + 'gzip\0/tmp\0\0\0FORKSCOPE_RUN=1.x.s1\0'.length;
    expect(frame.readUInt32LE(argvAt)).toBe(3);
    expect(frame.subarray(argvAt + 4).toString()).toBe('gzip\0-k\0a b.txt\0');
  });

  it('names a stream’s connection with the secret, the launch and the stream', () => {
    const header = encodeStreamHeader(Buffer.alloc(secretBytes, 1), 77, 'stderr');
    expect(header).toHaveLength(secretBytes + 5);
    expect(header.readUInt32LE(secretBytes)).toBe(77);
    expect(header[secretBytes + 4]).toBe(2);
  });
});
