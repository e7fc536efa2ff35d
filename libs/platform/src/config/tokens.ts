/** Injection token of the process's {@link CleaveConfig}. */
export const CLEAVE_CONFIG = Symbol('CLEAVE_CONFIG');
/** Injection token of the process's {@link Placement}. */
export const PLACEMENT = Symbol('PLACEMENT');
/** Injection token of the NATS transport, `null` when this process does not use NATS. */
export const NATS_TRANSPORT = Symbol('NATS_TRANSPORT');
