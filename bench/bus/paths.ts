import { createRequire } from 'node:module';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, MessagePattern, Transport, type ClientProxy } from '@nestjs/microservices';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { lastValueFrom } from 'rxjs';
import { createCleaveApp, loadCleaveConfig, type MessageBus } from '@cleave/platform';
import { answer, PAYLOAD, type BenchRequests, type EchoReply } from './bench.contracts';
import { benchDeployment } from './bench.deployment';

const require = createRequire(import.meta.url);
// Moleculer is CommonJS; its NATS transporter loads the `nats` v2 client itself.
const { ServiceBroker } = require('moleculer') as typeof import('moleculer');

/** Where a path's processes meet. */
export interface BenchEnv {
  readonly natsUrl: string;
  readonly prefix: string;
}

/** The calling side of a path: one request/reply per `call`. */
export interface Caller {
  call(): Promise<unknown>;
  close(): Promise<void>;
}

/** One way of making a request/reply, measured against the others. */
export interface BenchPath {
  readonly id: string;
  readonly label: string;
  /** Started in a process of its own when the path crosses a process boundary. */
  readonly responder?: (env: BenchEnv) => Promise<() => Promise<void>>;
  readonly caller: (env: BenchEnv) => Promise<Caller>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function cleaveConfig(env: BenchEnv, services: string, transport: 'auto' | 'nats' | 'in-process') {
  return loadCleaveConfig({
    CLEAVE_MANAGEMENT_PORT: 'off',
    CLEAVE_SERVICES: services,
    CLEAVE_TRANSPORT: transport,
    NATS_URL: env.natsUrl,
    CLEAVE_NATS_PREFIX: env.prefix,
    LOG_LEVEL: 'silent',
  });
}

/** A NATS responder that decodes the JSON request and answers JSON, as every other path's does. */
async function rawResponder(env: BenchEnv): Promise<() => Promise<void>> {
  const nc = await connect({ servers: env.natsUrl });
  nc.subscribe(`${env.prefix}.raw.echo`, {
    queue: 'bench',
    callback: (err, msg) => {
      if (err) return;
      msg.respond(encoder.encode(JSON.stringify(answer(JSON.parse(decoder.decode(msg.data))))));
    },
  });
  await nc.flush();
  return () => nc.drain();
}

@Controller()
class NestEchoController {
  @MessagePattern('nest.echo')
  echo(request: { accountId: string; amount: number }): EchoReply {
    return answer(request);
  }
}

@Module({ controllers: [NestEchoController] })
class NestEchoModule {}

export const PATHS: readonly BenchPath[] = [
  {
    id: 'function',
    label: 'plain async function call',
    caller: async () => {
      const handler = async (request: typeof PAYLOAD) => answer(request);
      return { call: () => handler(PAYLOAD), close: async () => undefined };
    },
  },
  {
    id: 'cleave-in-process',
    label: 'Cleave bus, in-process (copy + validation)',
    caller: async (env) => {
      const cleave = await createCleaveApp(benchDeployment, cleaveConfig(env, 'all', 'in-process'));
      const bus: MessageBus<BenchRequests> = cleave.bus.typed<BenchRequests>();
      return { call: () => bus.send('bench.echo', PAYLOAD), close: () => cleave.close() };
    },
  },
  {
    id: 'moleculer-local',
    label: 'Moleculer 0.15, local call',
    caller: async () => {
      const broker = new ServiceBroker({ logger: false, nodeID: 'local' });
      broker.createService({ name: 'bench', actions: { echo: (ctx: { params: typeof PAYLOAD }) => answer(ctx.params) } });
      await broker.start();
      return { call: () => broker.call('bench.echo', PAYLOAD), close: () => broker.stop() };
    },
  },
  {
    id: 'cleave-nats',
    label: 'Cleave bus over NATS',
    responder: async (env) => {
      const cleave = await createCleaveApp(benchDeployment, cleaveConfig(env, 'all', 'nats'));
      return () => cleave.close();
    },
    caller: async (env) => {
      const cleave = await createCleaveApp(benchDeployment, cleaveConfig(env, 'none', 'auto'));
      const bus: MessageBus<BenchRequests> = cleave.bus.typed<BenchRequests>();
      return { call: () => bus.send('bench.echo', PAYLOAD), close: () => cleave.close() };
    },
  },
  {
    id: 'nats-shared-inbox',
    label: 'raw NATS, publish + one shared reply inbox',
    responder: rawResponder,
    caller: async (env) => {
      const nc: NatsConnection = await connect({ servers: env.natsUrl, noAsyncTraces: true });
      const inbox = createInbox();
      const pending = new Map<string, (value: unknown) => void>();
      let next = 0;
      nc.subscribe(`${inbox}.*`, {
        callback: (err, msg) => {
          if (err) return;
          const id = msg.subject.slice(inbox.length + 1);
          const resolve = pending.get(id);
          pending.delete(id);
          resolve?.(JSON.parse(decoder.decode(msg.data)));
        },
      });
      const subject = `${env.prefix}.raw.echo`;
      return {
        call: () =>
          new Promise((resolve) => {
            const id = (next++).toString(36);
            pending.set(id, resolve);
            nc.publish(subject, encoder.encode(JSON.stringify(PAYLOAD)), { reply: `${inbox}.${id}` });
          }),
        close: () => nc.close(),
      };
    },
  },
  {
    id: 'nats-request',
    label: 'raw NATS, nc.request (default options)',
    responder: rawResponder,
    caller: async (env) => {
      const nc = await connect({ servers: env.natsUrl });
      const subject = `${env.prefix}.raw.echo`;
      return {
        call: async () =>
          JSON.parse(decoder.decode((await nc.request(subject, encoder.encode(JSON.stringify(PAYLOAD)), { timeout: 5_000 })).data)),
        close: () => nc.close(),
      };
    },
  },
  {
    id: 'nest-client-proxy',
    label: 'NestJS ClientProxy (Transport.NATS)',
    responder: async (env) => {
      const app = await NestFactory.createMicroservice(NestEchoModule, {
        transport: Transport.NATS,
        options: { servers: [env.natsUrl], queue: `${env.prefix}-nest` },
        logger: false,
      });
      await app.listen();
      return () => app.close();
    },
    caller: async (env) => {
      const client: ClientProxy = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [env.natsUrl] } });
      await client.connect();
      return { call: () => lastValueFrom(client.send('nest.echo', PAYLOAD)), close: () => client.close() };
    },
  },
  {
    id: 'moleculer-nats',
    label: 'Moleculer 0.15 over NATS',
    responder: async (env) => {
      const broker = new ServiceBroker({
        logger: false,
        namespace: env.prefix,
        nodeID: `responder-${process.pid}`,
        transporter: { type: 'NATS', options: { url: env.natsUrl } },
      });
      broker.createService({ name: 'bench', actions: { echo: (ctx: { params: typeof PAYLOAD }) => answer(ctx.params) } });
      await broker.start();
      return () => broker.stop();
    },
    caller: async (env) => {
      const broker = new ServiceBroker({
        logger: false,
        namespace: env.prefix,
        nodeID: `caller-${process.pid}`,
        transporter: { type: 'NATS', options: { url: env.natsUrl } },
      });
      await broker.start();
      await broker.waitForServices('bench', 10_000);
      return { call: () => broker.call('bench.echo', PAYLOAD), close: () => broker.stop() };
    },
  },
];

export function pathById(id: string): BenchPath {
  const path = PATHS.find((p) => p.id === id);
  if (!path) throw new Error(`unknown bench path ${id}`);
  return path;
}
