const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/** Renders a pino JSON line as `LEVEL context: message [trace]`; anything else passes through. */
export function formatLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; context?: string; traceId?: string; err?: { stack?: string } };
    const level = LEVELS[entry.level ?? 30] ?? String(entry.level);
    const context = entry.context ? `${entry.context}: ` : '';
    const trace = entry.traceId ? ` [trace ${entry.traceId.slice(0, 8)}]` : '';
    const stack = entry.err?.stack ? `\n${entry.err.stack}` : '';
    return `${level} ${context}${entry.msg ?? ''}${trace}${stack}`;
  } catch {
    return line;
  }
}
