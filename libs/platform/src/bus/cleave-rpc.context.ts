import { BaseRpcContext } from '@nestjs/microservices';
import type { CallContext } from '../context/call-context';

/** What `@Ctx()` gives a Cleave handler: the pattern and the call context, whichever transport carried it. */
export class CleaveRpcContext extends BaseRpcContext<[string, CallContext]> {
  getPattern(): string {
    return this.args[0];
  }

  getCallContext(): CallContext {
    return this.args[1];
  }
}
