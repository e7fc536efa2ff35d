/** One server-sent event. */
export interface StreamEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/**
 * A server-sent events client over fetch: resolves once the stream is open (the server's first comment has
 * arrived), then collects events until closed.
 */
export class EventStream {
  readonly events: StreamEvent[] = [];
  private readonly abort = new AbortController();
  private endedBy!: () => void;
  /** Resolves when the server ends the stream (or it is closed here). */
  readonly ended = new Promise<void>((resolve) => (this.endedBy = resolve));

  private constructor() {}

  static async open(url: string, token: string, headers: Record<string, string> = {}): Promise<EventStream> {
    const stream = new EventStream();
    const response = await fetch(url, {
      headers: { ...headers, authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: stream.abort.signal,
    });
    if (response.status !== 200) throw new Error(`stream answered ${response.status}: ${await response.text()}`);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (block.startsWith(':')) {
              opened();
              continue;
            }
            const fields = Object.fromEntries(
              block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trimStart()]),
            );
            stream.events.push({ id: fields.id, event: fields.event ?? 'message', data: fields.data ?? '' });
          }
        }
      } catch {
        // Closed by us.
      } finally {
        stream.endedBy();
      }
    })();
    await open;
    return stream;
  }

  close(): void {
    this.abort.abort();
  }
}
