// Building an Intl.DateTimeFormat costs far more than using one: one per zone, kept.
const formats = new Map<string, Intl.DateTimeFormat>();

function localParts(timeZone: string, instant: number): Record<string, number> {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  return Object.fromEntries(parts.filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));
}

/** How far a zone's wall clock is ahead of UTC at an instant, in ms. */
function offsetAt(timeZone: string, instant: number): number {
  const p = localParts(timeZone, instant);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(instant / 1000) * 1000;
}

/** The instant (epoch ms) the local day containing `now` began in an IANA time zone, e.g. Europe/London. */
export function startOfDayIn(timeZone: string, now: number = Date.now()): number {
  const p = localParts(timeZone, now);
  const midnight = Date.UTC(p.year!, p.month! - 1, p.day!);
  // The offset at midnight can differ from now's on a clock-change day: settle it with a second look.
  const guess = midnight - offsetAt(timeZone, now);
  return midnight - offsetAt(timeZone, guess);
}

/** The calendar date (YYYY-MM-DD) an instant falls on in an IANA time zone. */
export function localDateIn(timeZone: string, instant: number): string {
  const p = localParts(timeZone, instant);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}
