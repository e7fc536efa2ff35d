/**
 * Operators' tool for events a context gave up on, over the gateway's admin routes:
 *
 *   npm run dead-letters -- list <feed|webhooks|cards> [--all] [--after <dlq_id>]
 *   npm run dead-letters -- replay <feed|webhooks|cards> <dlq_id>
 *   npm run dead-letters -- replay-all <feed|webhooks|cards>
 *   npm run dead-letters -- discard <feed|webhooks|cards> <dlq_id>
 *
 * CLEAVE_URL (default http://127.0.0.1:3000) and CLEAVE_ADMIN_SECRET say where and as whom.
 */
const USAGE =
  'usage: dead-letters list <context> [--all] [--after <dlq_id>] | replay <context> <dlq_id> | replay-all <context> | discard <context> <dlq_id>; contexts: feed, webhooks, cards';
const CONTEXTS = ['feed', 'webhooks', 'cards'];

interface DeadLetterJson {
  id: string;
  event: string;
  error: string;
  attempts: number;
  created: string;
  age_ms: number;
  replayed: string | null;
}

async function call(method: string, path: string): Promise<Record<string, unknown>> {
  const base = (process.env.CLEAVE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const secret = process.env.CLEAVE_ADMIN_SECRET ?? 'cleave-development-admin-secret';
  const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${secret}` } });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${String(body.message ?? '')}`);
  return body;
}

function line(l: DeadLetterJson): string {
  const age = l.age_ms < 3_600_000 ? `${Math.round(l.age_ms / 60_000)}m` : `${Math.round(l.age_ms / 3_600_000)}h`;
  return `${l.id}  ${l.event}  attempts=${l.attempts}  age=${age}${l.replayed ? `  replayed=${l.replayed}` : ''}\n    ${l.error}`;
}

async function main(argv: string[]): Promise<number> {
  const [command, context, id] = argv;
  if (!command || !context || !CONTEXTS.includes(context)) {
    console.error(USAGE);
    return 2;
  }
  if (command === 'list') {
    const at = argv.indexOf('--after');
    const after = at >= 0 ? argv[at + 1] : undefined;
    if (at >= 0 && !after) {
      console.error(USAGE);
      return 2;
    }
    const query = `context=${context}${argv.includes('--all') ? '&include_replayed=true' : ''}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
    const letters = (await call('GET', `/admin/dead-letters?${query}`)).dead_letters as DeadLetterJson[];
    console.log(letters.length === 0 ? `no dead letters in ${context}${after ? ` after ${after}` : ''}` : letters.map(line).join('\n'));
    // A list holds 200 at most: say how to see the rest.
    if (letters.length >= 200)
      console.log(`… more may follow: list ${context}${argv.includes('--all') ? ' --all' : ''} --after ${letters[letters.length - 1]!.id}`);
    return 0;
  }
  if (command === 'replay' && id) {
    const body = await call('POST', `/admin/dead-letters/${context}/${encodeURIComponent(id)}/replay`);
    console.log(`replayed ${(body.dead_letter as DeadLetterJson).id}`);
    return 0;
  }
  if (command === 'discard' && id) {
    const body = await call('POST', `/admin/dead-letters/${context}/${encodeURIComponent(id)}/discard`);
    console.log(`discarded ${(body.dead_letter as DeadLetterJson).id}`);
    return 0;
  }
  if (command === 'replay-all') {
    // A list shows the oldest letters only: list again until it shows none not yet tried.
    const tried = new Set<string>();
    let failed = 0;
    for (;;) {
      const letters = ((await call('GET', `/admin/dead-letters?context=${context}`)).dead_letters as DeadLetterJson[]).filter(
        (l) => !tried.has(l.id),
      );
      if (letters.length === 0) break;
      for (const letter of letters) {
        tried.add(letter.id);
        try {
          await call('POST', `/admin/dead-letters/${context}/${letter.id}/replay`);
          console.log(`replayed ${letter.id}`);
        } catch (error) {
          failed++;
          console.error((error as Error).message);
        }
      }
    }
    console.log(`${tried.size - failed} of ${tried.size} replayed`);
    return failed === 0 ? 0 : 1;
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  },
);
