import { describe, expect, it, vi } from 'vitest';
import { newEntityId, newOpaqueId } from '../src/context/ids';

describe('entity ids', () => {
  it('are a prefix and 22 base-62 characters', () => {
    expect(newEntityId('tx')).toMatch(/^tx_[0-9A-Za-z]{22}$/);
    expect(newOpaqueId('cardtok')).toMatch(/^cardtok_[0-9A-Za-z]{22}$/);
  });

  it('sort by when they were made, so new rows land at the end of an index', () => {
    vi.useFakeTimers();
    try {
      const ids: string[] = [];
      for (const at of [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, Date.UTC(2026, 11, 31), Date.UTC(2070, 0, 1)]) {
        vi.setSystemTime(at);
        ids.push(newEntityId('tx'));
      }
      // Byte order, as SQLite compares text.
      expect([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(ids);
    } finally {
      vi.useRealTimers();
    }
  });

  it('made in the same millisecond still differ, by 14 random characters', () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(Date.UTC(2026, 11, 2));
      const ids = Array.from({ length: 10_000 }, () => newEntityId('evt'));
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids.map((id) => id.slice(0, 12))).size).toBe(1);
      expect(new Set(ids.map((id) => id.slice(12))).size).toBe(ids.length);
    } finally {
      vi.useRealTimers();
    }
  });

  it('opaque ids say nothing of when they were made', () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(Date.UTC(2026, 11, 2));
      const heads = new Set(Array.from({ length: 200 }, () => newOpaqueId('cardtok').slice(0, 12)));
      expect(heads.size).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });
});
