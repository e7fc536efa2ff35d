import { describe, expect, it } from 'vitest';
import { localDateIn, startOfDayIn } from './time';

describe('startOfDayIn', () => {
  it('finds local midnight in winter (GMT) and summer (BST)', () => {
    expect(new Date(startOfDayIn('Europe/London', Date.parse('2026-01-15T15:30:00Z'))).toISOString()).toBe('2026-01-15T00:00:00.000Z');
    expect(new Date(startOfDayIn('Europe/London', Date.parse('2026-07-15T15:30:00Z'))).toISOString()).toBe('2026-07-14T23:00:00.000Z');
  });

  it('uses the local date, not the UTC one', () => {
    // 00:30 BST on 16 July is 23:30 UTC on 15 July.
    expect(new Date(startOfDayIn('Europe/London', Date.parse('2026-07-15T23:30:00Z'))).toISOString()).toBe('2026-07-15T23:00:00.000Z');
  });

  it('handles the day the clocks go forward', () => {
    // 29 March 2026: 01:00 GMT becomes 02:00 BST; midnight was still GMT.
    expect(new Date(startOfDayIn('Europe/London', Date.parse('2026-03-29T12:00:00Z'))).toISOString()).toBe('2026-03-29T00:00:00.000Z');
  });

  it('works east of UTC', () => {
    expect(new Date(startOfDayIn('Asia/Tokyo', Date.parse('2026-07-15T16:00:00Z'))).toISOString()).toBe('2026-07-15T15:00:00.000Z');
  });
});

describe('localDateIn', () => {
  it('names the local calendar date, not the UTC one', () => {
    // 23:30 UTC on 30 June is already 1 July in London (BST) and still 30 June in New York.
    expect(localDateIn('Europe/London', Date.parse('2026-06-30T23:30:00Z'))).toBe('2026-07-01');
    expect(localDateIn('America/New_York', Date.parse('2026-06-30T23:30:00Z'))).toBe('2026-06-30');
    expect(localDateIn('Europe/London', Date.parse('2026-01-05T23:30:00Z'))).toBe('2026-01-05');
  });
});
