import 'reflect-metadata';
// Cleave's platform: the message bus and its transports, placement, call context, typed errors and the
// boot code every process shares.
export { MessageBus, type SendOptions } from './bus/message-bus';
export { Handles, OnEvent, OnEvents, type DeliveredEvent, type EventHandlerExtras } from './bus/handler.decorators';
export { CleaveRpcContext } from './bus/cleave-rpc.context';
export { CleaveServer, CLEAVE_TRANSPORT } from './bus/cleave.server';
export { ContractRegistry, type ContractSet } from './bus/contract-registry';
export { contextOf } from './bus/names';
export { toWire } from './validation/wire';
export {
  currentContext,
  runWithContext,
  rootContext,
  childContext,
  remainingMs,
  formatTraceparent,
  parseTraceparent,
  REQUEST_ID,
  CLIENT_REQUEST_ID,
  IDEMPOTENCY_KEY,
  type CallContext,
  type Principal,
  type RootContextInit,
} from './context/call-context';
export { CleaveError, toCleaveError, isErrorEnvelope, isErrorCode } from './errors/cleave-error';
export { HTTP_STATUS } from './errors/http-status';
export { decoderFor, fieldViolations, violationsError, VALIDATOR_OPTIONS, type DtoDecoder } from './validation/dto-decoder';
export { plainValueFault, assertStorable, type PlainValueFault } from './validation/plain-value';
export {
  loadCleaveConfig,
  readSettings,
  refuseDevelopmentCredentials,
  ConfigurationError,
  type CleaveConfig,
  type TransportMode,
} from './config/cleave-config';
export { resolvePlacement, natsRole, type Placement } from './bus/placement';
export { CLEAVE_CONFIG, PLACEMENT, NATS_TRANSPORT, PlatformModule } from './host/platform.module';
export { processLogger } from './logging/process-logger';
export { CleaveLogger } from './logging/cleave-logger';
export {
  createCleaveApp,
  QUERY_PARAMETER_LIMIT,
  type CleaveApp,
  type CleaveDeployment,
  type ContextLoader,
  type HttpSetup,
} from './host/create-cleave-app';
export { NatsTransport } from './nats/nats.transport';
export { requestSubject, eventSubject, eventStreamName, inboxPrefix } from './nats/subjects';
export {
  rolePermissions,
  observerPermissions,
  renderAuthorization,
  passwordVariable,
  type NatsRole,
  type RolePermissions,
} from './nats/nats-permissions';
export { PrincipalSeal, principalKeysFrom, developmentPrincipalKeys, type PrincipalKeys } from './security/principal-seal';
export { ContextDatabase } from './database/context-database';
export { CoalescedStatement, type CoalescedShape } from './database/coalesced-statement';
export { sql, type Sql } from './database/sql';
export { sqlStatistics, type SqlCounts } from './database/sql-statistics';
export {
  DatabaseModule,
  dataSourceOptions,
  databaseSetting,
  openContextDataSource,
  contextDatabasesOf,
  UnmigratedDatabaseError,
  type ContextDatabaseOptions,
} from './host/database.module';
export { bigintAsNumber } from './database/columns';
export { newEntityId, newOpaqueId } from './context/ids';
export { isUniqueViolation } from './database/errors';
export { sha256Hex, canonicalJson, sameSecret } from './context/hashing';
export { localDateIn, startOfDayIn } from './context/time';
export { crashPoint, crashPointsArmed } from './context/crash-points';
export {
  IdempotencyRecord,
  idempotencyRecordsTable,
  idempotencyRecordsByAgeMigration,
  idempotencyRecordsPruning,
  runIdempotent,
  claimIdempotency,
  idempotencyRecord,
  IDEMPOTENCY_COLUMNS,
  answeredBefore,
} from './database/idempotency';
export { Housekeeping, HousekeepingSettings, pruneTable, type PrunedTable } from './database/housekeeping';
export { SqliteSettings, walCheckpoints, type CheckpointResult } from './database/wal-checkpoints';
export { PeriodicJob } from './jobs/periodic-job';
export { Outbox, OUTBOX_COLUMNS } from './events/outbox';
export { runOnce } from './events/run-once';
export { DeadLetters } from './events/dead-letters';
export { deadLettersByEventMigration, eventsMigration } from './events/events.migration';
export { EventBus } from './events/event-bus';
export { EventsRuntime } from './events/events-runtime';
export { eventTables, EVENT_ENTITIES } from './events/event.entities';
export type { EventEnvelope } from './bus/event-envelope';
export { Metrics, type BusTransport } from './observability/metrics';
export { Health, type HealthIndicatorSession } from './host/health';
export { httpEntryOf, type HttpEntry } from './host/http-entry';
export { markNotServed, noteFailure } from './host/access-log';
