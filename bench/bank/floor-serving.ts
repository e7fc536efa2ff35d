import type { FastifyInstance } from 'fastify';

/** What both floors share: seeding cards over HTTP, listening, telling the launcher they're ready, stopping on SIGTERM. */
export async function serveFloor(app: FastifyInstance, seed: (cards: Array<{ token: string; balance: number }>) => void): Promise<void> {
  app.post<{ Body: { cards: Array<{ token: string; balance: number }> } }>('/seed', async (request) => {
    seed(request.body.cards);
    return { seeded: request.body.cards.length };
  });
  const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
  process.send?.({ type: 'cleave:ready', httpUrl: address });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}
