// Building an Intl.DateTimeFormat costs far more than using one: one per zone, kept.
const formats = new Map<string, Intl.DateTimeFormat>();

function localParts(timeZone: string, instant: number): Record<string, number> {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  return Object.fromEntries(parts.filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));
}

// Offsets change only at whole minutes (clock changes): one lookup per zone and minute serves every call in it.
const offsets = new Map<string, number>();

/** How far a zone's wall clock is ahead of UTC at an instant, in ms. */
function offsetAt(timeZone: string, instant: number): number {
  const minute = Math.floor(instant / 60_000);
  const key = `${timeZone} ${minute}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const p = localParts(timeZone, minute * 60_000);
    offset = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - minute * 60_000;
    if (offsets.size >= 1_024) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** The instant (epoch ms) the local day containing `now` began in an IANA time zone, e.g. Europe/London. */
export function startOfDayIn(timeZone: string, now: number = Date.now()): number {
  const local = new Date(now + offsetAt(timeZone, now));
  const midnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  // The offset at midnight can differ from now's on a clock-change day: settle it with a second look.
  const guess = midnight - offsetAt(timeZone, now);
  return midnight - offsetAt(timeZone, guess);
}

/** The calendar date (YYYY-MM-DD) an instant falls on in an IANA time zone. */
export function localDateIn(timeZone: string, instant: number): string {
  const local = new Date(instant + offsetAt(timeZone, instant));
  return `${local.getUTCFullYear()}-${String(local.getUTCMonth() + 1).padStart(2, '0')}-${String(local.getUTCDate()).padStart(2, '0')}`;
}
