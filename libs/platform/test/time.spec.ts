import { describe, expect, it } from 'vitest';
import { localDateIn, startOfDayIn } from '../src/context/time';

/** The zone's wall clock at an instant, straight from Intl: what the cached offsets must agree with. */
function wallClock(timeZone: string, instant: number): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

const ZONES = ['Europe/London', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/Santiago', 'Pacific/Chatham', 'UTC'];

describe('local days in a time zone', () => {
  it('starts London days at local midnight, on both clock-change days', () => {
    // Clocks go forward at 01:00 UTC on 29 March 2026 and back at 01:00 UTC on 25 October 2026.
    expect(new Date(startOfDayIn('Europe/London', Date.parse('2026-03-29T12:00:00Z'))).toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(new Date(startOfDayIn('Europe/London', Date.parse('2026-03-30T00:30:00Z'))).toISOString()).toBe('2026-03-29T23:00:00.000Z');
    expect(new Date(startOfDayIn('Europe/London', Date.parse('2026-10-25T12:00:00Z'))).toISOString()).toBe('2026-10-24T23:00:00.000Z');
    expect(localDateIn('Europe/London', Date.parse('2026-07-01T23:30:00Z'))).toBe('2026-07-02');
    expect(localDateIn('Europe/London', Date.parse('2026-12-31T23:30:00Z'))).toBe('2026-12-31');
  });

  it('agrees with the zone database for instants across a decade, in zones with odd offsets and clock changes', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const from = Date.parse('2020-01-01T00:00:00Z');
    const span = Date.parse('2030-01-01T00:00:00Z') - from;
    for (let i = 0; i < 3_000; i++) {
      const zone = ZONES[i % ZONES.length]!;
      const instant = from + Math.floor(random() * span);
      const date = localDateIn(zone, instant);
      expect(wallClock(zone, instant).slice(0, 10), `${zone} ${new Date(instant).toISOString()}`).toBe(date);
      const start = startOfDayIn(zone, instant);
      // The day's first instant: on that date, and a minute earlier is the day before.
      expect(start).toBeLessThanOrEqual(instant);
      expect(wallClock(zone, start).slice(0, 10)).toBe(date);
      expect(wallClock(zone, start - 60_000).slice(0, 10)).not.toBe(date);
    }
  });
});
