/** The context a pattern or event belongs to: its first dot-separated segment. */
export function contextOf(patternOrEvent: string): string {
  const dot = patternOrEvent.indexOf('.');
  return dot === -1 ? patternOrEvent : patternOrEvent.slice(0, dot);
}
