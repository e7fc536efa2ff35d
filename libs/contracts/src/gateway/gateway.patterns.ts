/** Events published by the gateway. */
export const GatewayEventNames = {
  AuthorisationAbandoned: 'gateway.authorisation-abandoned.v1',
} as const;
