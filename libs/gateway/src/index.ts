/** The HTTP gateway: its module, and the setup of its HTTP server. */
export { GatewayModule } from './gateway.module';
export { setUpGatewayHttp, gatewayServerOptions } from './http/setup';
