import { Controller, Module } from '@nestjs/common';
import { Handles, type CleaveDeployment } from '@cleave/platform';
import { answer, BenchRequests, EchoRequest } from './bench.contracts';

@Controller()
class BenchHandlers {
  @Handles<BenchRequests>('bench.echo')
  echo(request: EchoRequest) {
    return answer(request);
  }
}

@Module({ controllers: [BenchHandlers] })
class BenchModule {}

/** A one-context Cleave deployment whose handler does what every benchmark responder does. */
export const benchDeployment: CleaveDeployment = {
  contracts: { requests: BenchRequests, events: {}, dependencies: {} },
  contexts: { bench: async () => BenchModule },
  version: '0.0.0',
};
