import { fileURLToPath } from 'node:url';
import type { MessageBus } from '@cleave/platform';
import type { FixtureEvents, FixtureRequests } from '../fixtures/fixture.contracts';
import { fixtureDeployment } from '../fixtures/fixture.deployment';
import type { NatsServerProcess } from './nats-server';
import { startTopology, type PlacementName } from './topology';
import type { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';

export type { PlacementName } from './topology';

/** The fixture deployment running in one placement, and the bus a test calls it through. */
export interface RunningPlacement {
  readonly name: PlacementName;
  readonly bus: MessageBus<FixtureRequests, FixtureEvents>;
  readonly probeReplicas: number;
  readonly nats?: NatsServerProcess;
  readonly prefix: string;
  readonly processes: readonly ServiceProcess[];
  stop(): Promise<void>;
}

const FIXTURE_HOST = fileURLToPath(new URL('../../dist/test/fixtures/fixture-host.js', import.meta.url));

/**
 * The fixture deployment in one placement:
 * - in-process: probe, relay and ghost in the test's own process, no broker;
 * - split: two probe processes and a relay process over NATS; the test process hosts nothing;
 * - hybrid: the test process hosts relay; two probe processes serve probe over NATS.
 * `ghost` is never hosted in the remote placements.
 */
export async function startPlacement(name: PlacementName): Promise<RunningPlacement> {
  const probes = [
    { services: 'probe', instance: 'probe-1' },
    { services: 'probe', instance: 'probe-2' },
  ];
  const topology = await startTopology({
    deployment: fixtureDeployment,
    entry: FIXTURE_HOST,
    local: name === 'in-process' ? 'all' : name === 'hybrid' ? 'relay' : 'none',
    children: name === 'in-process' ? [] : name === 'hybrid' ? probes : [...probes, { services: 'relay', instance: 'relay-1' }],
  });
  return {
    name,
    bus: topology.app.bus.typed<FixtureRequests, FixtureEvents>(),
    probeReplicas: name === 'in-process' ? 1 : 2,
    nats: topology.nats,
    prefix: topology.prefix,
    processes: topology.processes,
    stop: () => topology.stop(),
  };
}
