import { constants } from 'node:os';
import type { RunRecord } from '../../contract';

/** How a shell reports a program's end: its code, 128+N for signal N, 127 when it could not be found. */
export function shellStatus(record: RunRecord): number {
  if (record.exit?.signal) {
    const number = constants.signals[record.exit.signal as keyof typeof constants.signals];
    return number === undefined ? 128 : 128 + number;
  }
  if (record.exit?.code !== null && record.exit?.code !== undefined) return record.exit.code;
  if (record.error?.code === 'command-not-found') return 127;
  // It could not start (a cwd, permissions) or its status is unknown: a failure all the same.
  return record.error?.code === 'permission-denied' ? 126 : 1;
}
