/**
 * Drill and test hooks: `CLEAVE_CRASH_AT=cards.authorise:after-hold,…` makes this process kill itself
 * (SIGKILL, no clean-up) when it reaches a named point, so tests can prove what a crash at exactly that
 * step leaves behind. Read once; costs a set lookup when unset.
 */
const points: ReadonlySet<string> = new Set(
  (process.env.CLEAVE_CRASH_AT ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean),
);

/** Dies here if `CLEAVE_CRASH_AT` names this point. */
export function crashPoint(name: string): void {
  if (points.size > 0 && points.has(name)) process.kill(process.pid, 'SIGKILL');
}

/** True when any crash point is set: hooks that only serve drills are installed then, and only then. */
export function crashPointsArmed(): boolean {
  return points.size > 0;
}
