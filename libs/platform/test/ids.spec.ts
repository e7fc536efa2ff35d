import { describe, expect, it, vi } from 'vitest';
import { newEntityId, newOpaqueId } from '../src/context/ids';

/** What `make` returns with the clock at `time`. */
function madeAt<T>(time: number, make: () => T): T {
  vi.useFakeTimers();
  try {
    vi.setSystemTime(time);
    return make();
  } finally {
    vi.useRealTimers();
  }
}

describe('entity ids', () => {
  it('are a prefix and 22 base-62 characters', () => {
    expect(newEntityId('tx')).toMatch(/^tx_[0-9A-Za-z]{22}$/);
    expect(newOpaqueId('cardtok')).toMatch(/^cardtok_[0-9A-Za-z]{22}$/);
  });

  it('sort by when they were made, so new rows land at the end of an index', () => {
    const times = [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, Date.UTC(2026, 11, 31), Date.UTC(2070, 0, 1)];
    const ids = times.map((time) => madeAt(time, () => newEntityId('tx')));
    // Byte order, as SQLite compares text.
    expect([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(ids);
  });

  it('made in the same millisecond still differ, by 14 random characters', () => {
    const ids = madeAt(Date.UTC(2026, 11, 2), () => Array.from({ length: 10_000 }, () => newEntityId('evt')));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(0, 12))).size).toBe(1);
    expect(new Set(ids.map((id) => id.slice(12))).size).toBe(ids.length);
  });

  it('opaque ids say nothing of when they were made', () => {
    const heads = madeAt(Date.UTC(2026, 11, 2), () => new Set(Array.from({ length: 200 }, () => newOpaqueId('cardtok').slice(0, 12))));
    expect(heads.size).toBe(200);
  });
});
