import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The first port Linux hands out to sockets bound to port 0 (and to outgoing connections). */
function ephemeralFloor(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A TCP port nothing listens on right now, for a process the test starts to bind. It is taken from just
 * below the ephemeral range: a port from inside it (what a bind to port 0 returns) can be handed to another
 * test's server or an outgoing connection before the process binds it, as CI once saw.
 */
export async function freePort(): Promise<number> {
  const below = ephemeralFloor();
  const lowest = Math.max(1_024, below - 12_000);
  for (;;) {
    const port = lowest + Math.floor(Math.random() * (below - lowest));
    if (await listensNowhere(port)) return port;
  }
}

/** True when `port` can be bound on every interface now. */
function listensNowhere(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}
