import { describe, expect, it } from 'vitest';
import { mergeSnapshot } from '../../renderer/lib/components/snapshot-merge';

type Row = { id: string; state: string };

describe('a snapshot merged with the events that came while it loaded', () => {
  const snapshot: Row[] = [
    { id: 'a', state: 'running' },
    { id: 'b', state: 'running' },
  ];

  it("keeps an event's newer record, and the snapshot's for the rest, in the snapshot's order", () => {
    const current: Row[] = [
      { id: 'b', state: 'done' },
      { id: 'a', state: 'stale' },
    ];
    expect(mergeSnapshot(snapshot, current, ['b'])).toEqual([
      { id: 'a', state: 'running' },
      { id: 'b', state: 'done' },
    ]);
  });

  it('keeps a record made meanwhile that the snapshot does not have yet', () => {
    const current: Row[] = [{ id: 'c', state: 'running' }];
    expect(mergeSnapshot(snapshot, current, ['c']).map((row) => row.id)).toEqual(['a', 'b', 'c']);
  });
});
