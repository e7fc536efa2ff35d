import { Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync, type ValidationError } from 'class-validator';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { developmentPrincipalKeys, principalKeysFrom, type PrincipalKeys } from '../security/principal-seal';

/** How contexts not hosted here are reached. */
export type TransportMode = 'auto' | 'nats' | 'in-process';

/** Who a process is to the NATS server, and how it checks the server is who it claims. */
export interface NatsCredentials {
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** An NKey seed (`SU…`). */
  readonly nkeySeed?: string;
  /** The contents of a `.creds` file (operator/JWT mode). */
  readonly creds?: string;
  /** TLS: the CA that signed the server's certificate, and this client's certificate and key (PEM contents). */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
}

/** The process's configuration, typed and validated once at boot. */
/** How calls to another process are guarded (CLEAVE_BREAKER_*, CLEAVE_BUS_*). */
export interface CallPolicySettings {
  /** Consecutive timeouts or unavailable answers that open a destination's circuit. */
  readonly breakerFailures: number;
  /** How long an open circuit answers `unavailable` at once before one call probes it (half-open). */
  readonly breakerHalfOpenMs: number;
  /** Calls to one destination context in flight at once; more are refused at once (a bulkhead). */
  readonly maxOutstanding: number;
  /** Tries after the first, for calls it is safe to repeat. */
  readonly retries: number;
}

export interface CleaveConfig {
  /** `CLEAVE_SERVICES`: `all`, `none`, or a comma-separated list of contexts (and `gateway`). */
  readonly services: string;
  /**
   * `CLEAVE_TRANSPORT`: `auto` connects to NATS only when some context is not hosted here; `nats` always
   * does, and serves this process's contexts to others; `in-process` never does.
   */
  readonly transport: TransportMode;
  readonly natsUrl: string;
  readonly natsCredentials: NatsCredentials;
  /** Replicas of the events stream (JetStream clustering), set when it is created. */
  readonly eventStreamReplicas: number;
  /** The key pair principals are sealed with when they cross NATS (development keys unless configured). */
  readonly principalKeys: PrincipalKeys;
  /** `NODE_ENV=production`: development credentials are refused. */
  readonly production: boolean;
  /** Prefix of every NATS subject, so deployments (and test runs) sharing a server don't collide. */
  readonly natsPrefix: string;
  /** Budget of a call tree that starts without a deadline. */
  readonly defaultTimeoutMs: number;
  /** Budget of one event handler run. */
  readonly eventTimeoutMs: number;
  readonly logLevel: string;
  /** Names this process in logs and NATS connection lists. */
  readonly instanceId: string;
  /** Where the embedded SQLite files live (one per context) when no PostgreSQL URL applies. */
  readonly dataDir: string;
  /** `DATABASE_URL`: one PostgreSQL database shared by the contexts, a schema each. */
  readonly databaseUrl?: string;
  /** `CLEAVE_<CONTEXT>_DATABASE_URL`: a PostgreSQL database of a context's own; wins over DATABASE_URL. */
  readonly contextDatabaseUrls: Readonly<Record<string, string>>;
  /** `CLEAVE_MIGRATIONS`: whether each context migrates its database on start. */
  readonly runMigrations: boolean;
  /** `PORT`: where the HTTP API listens when this process hosts it (0: any free port). */
  readonly httpPort: number;
  /** `HOST`: the address it binds (0.0.0.0 in containers). */
  readonly httpHost: string;
  /**
   * `CLEAVE_MANAGEMENT_PORT`: where `/healthz`, `/readyz` and `/metrics` are served, in every process
   * (default 9464; 0: any free port; `off`: not at all), on `CLEAVE_MANAGEMENT_HOST` (default 127.0.0.1).
   */
  readonly management: { readonly port: number; readonly host: string } | undefined;
  /**
   * `CLEAVE_SHUTDOWN_DELAY_MS`: on SIGTERM, how long readiness fails while the process still serves, so
   * load balancers stop sending it requests before it stops taking them (default 0).
   */
  readonly shutdownDelayMs: number;
  /** How calls to other processes are guarded: circuit breakers, bulkheads and retries. */
  readonly callPolicies: CallPolicySettings;
  /**
   * Load shedding: `CLEAVE_MAX_IN_FLIGHT` bus requests a process handles at once before it refuses more at
   * once (`unavailable`, reason `overloaded`), and `CLEAVE_HTTP_MAX_EVENT_LOOP_DELAY_MS`, past which the
   * HTTP API answers 503 with Retry-After rather than queueing requests to their deadline (0: off).
   */
  readonly shedding: { readonly maxInFlight: number; readonly maxEventLoopDelayMs: number };
  /**
   * `CLEAVE_TRUST_PROXY`: whose `X-Forwarded-For` to believe for the client's address (login rate limits):
   * `false` (default), `true`, or a comma-separated list of proxy addresses or CIDRs.
   */
  readonly trustProxy: boolean | string[];
  /**
   * `CLEAVE_FAULTS`: injected slowness, for fault-tolerance tests and drills, e.g.
   * `ledger.place-hold=reply-delay:2500,ledger.get-balance=delay:300`. `delay` holds a request before its
   * handler runs; `reply-delay` holds the reply after the handler has done its work.
   */
  readonly faults: Readonly<Record<string, { readonly delayMs: number; readonly replyDelayMs: number }>>;
  /**
   * Event handling: attempts before a dead letter, the first backoff, events a context handles at once, and
   * `CLEAVE_EVENT_FAULTS` (`feed:ledger.transaction-created.v1=fail:3`): a context's handler of an event fails
   * its first n runs in this process, for dead-letter tests and drills.
   */
  readonly events: {
    readonly maxAttempts: number;
    readonly backoffBaseMs: number;
    readonly maxInFlight: number;
    /** How often each outbox relay looks for events besides being woken by commits, and prunes. */
    readonly outboxPollMs: number;
    readonly pruneMs: number;
    /** How long a starting process waits for its event consumers to catch up before it answers requests. */
    readonly catchUpMs: number;
    /** `<context>:<event>` → runs left to fail. */
    readonly failures: Readonly<Record<string, number>>;
    /** `<context>:<event>` → how long each run of its handler is held back first. */
    readonly delaysMs: Readonly<Record<string, number>>;
  };
  /** Every `CLEAVE_*` variable as given, for the settings a context declares of its own (see `readSettings`). */
  readonly env: Readonly<Record<string, string>>;
}

const POSTGRES_URL = /^postgres(ql)?:\/\/\S+$/;
const CONTEXT_DATABASE_URL = /^CLEAVE_([A-Z][A-Z0-9]*)_DATABASE_URL$/;

class CleaveEnvironment {
  @IsOptional() @IsString() CLEAVE_SERVICES?: string;
  @IsOptional() @IsIn(['auto', 'nats', 'in-process']) CLEAVE_TRANSPORT?: string;
  @IsOptional()
  @Matches(/^(nats|tls|ws|wss):\/\/[^\s,]+(,(nats|tls|ws|wss):\/\/[^\s,]+)*$/, {
    message: 'NATS_URL must be one or more comma-separated nats:// URLs',
  })
  NATS_URL?: string;
  @IsOptional() @IsString() NATS_USER?: string;
  @IsOptional() @IsString() NATS_PASSWORD?: string;
  @IsOptional() @IsString() NATS_TOKEN?: string;
  @IsOptional() @Matches(/^SU[A-Z2-7]{56}$/, { message: 'NATS_NKEY_SEED must be a user NKey seed (SU…)' }) NATS_NKEY_SEED?: string;
  @IsOptional()
  @Matches(/-----BEGIN NATS USER JWT-----/, {
    message: 'NATS_CREDS must be the contents of a .creds file (set NATS_CREDS_FILE to its path)',
  })
  NATS_CREDS?: string;
  @IsOptional()
  @Matches(/-----BEGIN CERTIFICATE-----/, { message: 'NATS_TLS_CA must be PEM certificates (set NATS_TLS_CA_FILE to a path)' })
  NATS_TLS_CA?: string;
  @IsOptional()
  @Matches(/-----BEGIN CERTIFICATE-----/, { message: 'NATS_TLS_CERT must be a PEM certificate (set NATS_TLS_CERT_FILE to a path)' })
  NATS_TLS_CERT?: string;
  @IsOptional()
  @Matches(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, { message: 'NATS_TLS_KEY must be a PEM private key (set NATS_TLS_KEY_FILE to a path)' })
  NATS_TLS_KEY?: string;
  @IsOptional() @IsInt() @Min(1) @Max(5) CLEAVE_EVENT_STREAM_REPLICAS?: number;
  @IsOptional()
  @Matches(/-----BEGIN PRIVATE KEY-----/, { message: 'CLEAVE_PRINCIPAL_PRIVATE_KEY must be a PEM (PKCS#8) Ed25519 private key' })
  CLEAVE_PRINCIPAL_PRIVATE_KEY?: string;
  @IsOptional()
  @Matches(/-----BEGIN PUBLIC KEY-----/, { message: 'CLEAVE_PRINCIPAL_PUBLIC_KEY must be a PEM (SPKI) Ed25519 public key' })
  CLEAVE_PRINCIPAL_PUBLIC_KEY?: string;
  @IsOptional() @IsString() NODE_ENV?: string;
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'CLEAVE_NATS_PREFIX must be 1-64 letters, digits, - or _ (it becomes a NATS subject token)',
  })
  CLEAVE_NATS_PREFIX?: string;
  @IsOptional() @IsInt() @Min(1) @Max(600_000) CLEAVE_DEFAULT_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(3_600_000) CLEAVE_EVENT_TIMEOUT_MS?: number;
  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL?: string;
  @IsOptional() @Matches(/^[A-Za-z0-9_.-]{1,64}$/) CLEAVE_INSTANCE_ID?: string;
  @IsOptional() @IsString() CLEAVE_DATA_DIR?: string;
  @IsOptional() @Matches(POSTGRES_URL, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' }) DATABASE_URL?: string;
  @IsOptional() @IsIn(['on', 'off']) CLEAVE_MIGRATIONS?: string;
  @IsOptional() @IsInt() @Min(0) @Max(65_535) PORT?: number;
  @IsOptional() @IsString() HOST?: string;
  @IsOptional()
  @Matches(/^(off|\d{1,5})$/, { message: 'CLEAVE_MANAGEMENT_PORT must be a port number (0: any free one) or off' })
  CLEAVE_MANAGEMENT_PORT?: string;
  @IsOptional() @IsString() CLEAVE_MANAGEMENT_HOST?: string;
  @IsOptional() @IsInt() @Min(0) @Max(120_000) CLEAVE_SHUTDOWN_DELAY_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000) CLEAVE_BREAKER_FAILURES?: number;
  @IsOptional() @IsInt() @Min(100) @Max(600_000) CLEAVE_BREAKER_HALF_OPEN_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(100_000) CLEAVE_BUS_MAX_OUTSTANDING?: number;
  @IsOptional() @IsInt() @Min(0) @Max(5) CLEAVE_BUS_RETRIES?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) CLEAVE_MAX_IN_FLIGHT?: number;
  @IsOptional() @IsInt() @Min(0) @Max(60_000) CLEAVE_HTTP_MAX_EVENT_LOOP_DELAY_MS?: number;
  @IsOptional()
  @Matches(/^(true|false|[0-9A-Fa-f.:/]+(,[0-9A-Fa-f.:/]+)*)$/, {
    message: 'CLEAVE_TRUST_PROXY must be true, false, or a comma-separated list of addresses or CIDRs',
  })
  CLEAVE_TRUST_PROXY?: string;
  @IsOptional()
  @Matches(
    /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*=(delay|reply-delay):\d{1,6}(,[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*=(delay|reply-delay):\d{1,6})*$/,
    {
      message: 'CLEAVE_FAULTS must look like pattern=delay:ms or pattern=reply-delay:ms, comma-separated',
    },
  )
  CLEAVE_FAULTS?: string;
  @IsOptional()
  @Matches(/^[a-z]+:[a-z][a-z0-9.-]*=(fail|delay):\d{1,6}(,[a-z]+:[a-z][a-z0-9.-]*=(fail|delay):\d{1,6})*$/, {
    message: 'CLEAVE_EVENT_FAULTS must look like context:event=fail:count or context:event=delay:ms, comma-separated',
  })
  CLEAVE_EVENT_FAULTS?: string;
  @IsOptional() @IsInt() @Min(1) @Max(100) CLEAVE_EVENT_MAX_ATTEMPTS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(60_000) CLEAVE_EVENT_BACKOFF_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(10_000) CLEAVE_EVENT_MAX_IN_FLIGHT?: number;
  @IsOptional() @IsInt() @Min(10) @Max(3_600_000) CLEAVE_OUTBOX_POLL_MS?: number;
  @IsOptional() @IsInt() @Min(1_000) @Max(86_400_000) CLEAVE_EVENT_PRUNE_MS?: number;
  @IsOptional() @IsInt() @Min(0) @Max(600_000) CLEAVE_EVENT_CATCH_UP_MS?: number;
}

const NUMERIC = new Set([
  'CLEAVE_DEFAULT_TIMEOUT_MS',
  'CLEAVE_EVENT_TIMEOUT_MS',
  'PORT',
  'CLEAVE_EVENT_MAX_ATTEMPTS',
  'CLEAVE_EVENT_BACKOFF_MS',
  'CLEAVE_EVENT_MAX_IN_FLIGHT',
  'CLEAVE_EVENT_STREAM_REPLICAS',
  'CLEAVE_OUTBOX_POLL_MS',
  'CLEAVE_EVENT_PRUNE_MS',
  'CLEAVE_EVENT_CATCH_UP_MS',
  'CLEAVE_SHUTDOWN_DELAY_MS',
  'CLEAVE_BREAKER_FAILURES',
  'CLEAVE_BREAKER_HALF_OPEN_MS',
  'CLEAVE_BUS_MAX_OUTSTANDING',
  'CLEAVE_BUS_RETRIES',
  'CLEAVE_MAX_IN_FLIGHT',
  'CLEAVE_HTTP_MAX_EVENT_LOOP_DELAY_MS',
]);
// Secrets and PEM blocks keep their inner whitespace; only a file's trailing newline goes.
const VERBATIM = new Set([
  'NATS_PASSWORD',
  'NATS_CREDS',
  'NATS_TLS_CA',
  'NATS_TLS_CERT',
  'NATS_TLS_KEY',
  'CLEAVE_PRINCIPAL_PRIVATE_KEY',
  'CLEAVE_PRINCIPAL_PUBLIC_KEY',
]);
const SECRET = /PASSWORD|TOKEN|SEED|CREDS|KEY|SECRET/;

/** A line per refused variable, with its value unless it is a secret. */
function problemLines(errors: ValidationError[], env: Readonly<Record<string, string | undefined>>): string[] {
  const shown = (key: string) => (SECRET.test(key) ? '(a secret, not shown)' : JSON.stringify(env[key]));
  return errors.map((e) => `  ${e.property}=${shown(e.property)}: ${Object.values(e.constraints ?? {}).join('; ')}`);
}
const FILE_VARIABLE = /^((?:CLEAVE|NATS)_[A-Z0-9_]+|DATABASE_URL)_FILE$/;

/**
 * The environment with every `<NAME>_FILE` read into `<NAME>` (Docker and Kubernetes secrets are files),
 * for `CLEAVE_*`, `NATS_*` and `DATABASE_URL`. Setting both forms, or naming a file that can't be read, is
 * a configuration error.
 */
export function resolveFileVariables(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const resolved = { ...env };
  const problems: string[] = [];
  for (const [key, path] of Object.entries(env)) {
    const match = FILE_VARIABLE.exec(key);
    if (!match || !path) continue;
    const name = match[1]!;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`  ${key}: ${name} is set too; set one of them`);
      continue;
    }
    try {
      resolved[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(
        `  ${key}=${JSON.stringify(path)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    delete resolved[key];
  }
  if (problems.length > 0) throw new ConfigurationError(`invalid configuration:\n${problems.join('\n')}`);
  return resolved;
}

/** A configuration value that stops the process, naming the variable. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/** Reads and validates the environment; throws a ConfigurationError naming every bad variable. */
export function loadCleaveConfig(given: Record<string, string | undefined> = process.env): CleaveConfig {
  const env = resolveFileVariables(given);
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(new CleaveEnvironmentKeys())) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    raw[key] = NUMERIC.has(key) && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : VERBATIM.has(key) ? value : value.trim();
  }
  const parsed = plainToInstance(CleaveEnvironment, raw);
  const errors = validateSync(parsed, { whitelist: true, forbidUnknownValues: true });
  const lines = problemLines(errors, env);
  const contextDatabaseUrls: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = CONTEXT_DATABASE_URL.exec(key);
    if (!match || !value) continue;
    if (!POSTGRES_URL.test(value)) lines.push(`  ${key}: must be a postgres:// or postgresql:// URL`);
    else contextDatabaseUrls[match[1]!.toLowerCase()] = value;
  }
  let principalKeys: PrincipalKeys | undefined;
  try {
    principalKeys =
      parsed.CLEAVE_PRINCIPAL_PRIVATE_KEY === undefined && parsed.CLEAVE_PRINCIPAL_PUBLIC_KEY === undefined
        ? developmentPrincipalKeys()
        : principalKeysFrom(parsed.CLEAVE_PRINCIPAL_PRIVATE_KEY, parsed.CLEAVE_PRINCIPAL_PUBLIC_KEY);
  } catch (error) {
    lines.push(`  CLEAVE_PRINCIPAL_PRIVATE_KEY/CLEAVE_PRINCIPAL_PUBLIC_KEY: ${(error as Error).message}`);
  }
  if ((parsed.NATS_USER === undefined) !== (parsed.NATS_PASSWORD === undefined))
    lines.push('  NATS_USER/NATS_PASSWORD: set both or neither');
  const managementPort =
    parsed.CLEAVE_MANAGEMENT_PORT === undefined
      ? 9464
      : parsed.CLEAVE_MANAGEMENT_PORT === 'off'
        ? undefined
        : Number(parsed.CLEAVE_MANAGEMENT_PORT);
  if (managementPort !== undefined && managementPort > 65_535)
    lines.push(`  CLEAVE_MANAGEMENT_PORT=${JSON.stringify(parsed.CLEAVE_MANAGEMENT_PORT)}: a port is at most 65535`);
  if (lines.length > 0) throw new ConfigurationError(`invalid configuration:\n${lines.join('\n')}`);
  const tls = parsed.NATS_TLS_CA ?? parsed.NATS_TLS_CERT ?? parsed.NATS_TLS_KEY;
  return {
    services: parsed.CLEAVE_SERVICES ?? 'all',
    transport: (parsed.CLEAVE_TRANSPORT ?? 'auto') as TransportMode,
    natsUrl: parsed.NATS_URL ?? 'nats://127.0.0.1:4222',
    natsCredentials: {
      user: parsed.NATS_USER,
      password: parsed.NATS_PASSWORD,
      token: parsed.NATS_TOKEN,
      nkeySeed: parsed.NATS_NKEY_SEED,
      creds: parsed.NATS_CREDS,
      tls: tls === undefined ? undefined : { ca: parsed.NATS_TLS_CA, cert: parsed.NATS_TLS_CERT, key: parsed.NATS_TLS_KEY },
    },
    eventStreamReplicas: parsed.CLEAVE_EVENT_STREAM_REPLICAS ?? 1,
    principalKeys: principalKeys!,
    production: parsed.NODE_ENV === 'production',
    natsPrefix: parsed.CLEAVE_NATS_PREFIX ?? 'cleave',
    defaultTimeoutMs: parsed.CLEAVE_DEFAULT_TIMEOUT_MS ?? 5_000,
    eventTimeoutMs: parsed.CLEAVE_EVENT_TIMEOUT_MS ?? 30_000,
    logLevel: parsed.LOG_LEVEL ?? 'info',
    instanceId: parsed.CLEAVE_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    dataDir: parsed.CLEAVE_DATA_DIR ?? './data',
    databaseUrl: parsed.DATABASE_URL,
    contextDatabaseUrls,
    runMigrations: (parsed.CLEAVE_MIGRATIONS ?? 'on') === 'on',
    httpPort: parsed.PORT ?? 3000,
    httpHost: parsed.HOST ?? '127.0.0.1',
    // Loopback unless asked: readiness details and business metrics are for the platform's own network.
    management: managementPort === undefined ? undefined : { port: managementPort, host: parsed.CLEAVE_MANAGEMENT_HOST ?? '127.0.0.1' },
    shutdownDelayMs: parsed.CLEAVE_SHUTDOWN_DELAY_MS ?? 0,
    callPolicies: {
      breakerFailures: parsed.CLEAVE_BREAKER_FAILURES ?? 5,
      breakerHalfOpenMs: parsed.CLEAVE_BREAKER_HALF_OPEN_MS ?? 5_000,
      maxOutstanding: parsed.CLEAVE_BUS_MAX_OUTSTANDING ?? 1_000,
      retries: parsed.CLEAVE_BUS_RETRIES ?? 2,
    },
    shedding: {
      maxInFlight: parsed.CLEAVE_MAX_IN_FLIGHT ?? 2_000,
      maxEventLoopDelayMs: parsed.CLEAVE_HTTP_MAX_EVENT_LOOP_DELAY_MS ?? 1_000,
    },
    trustProxy:
      parsed.CLEAVE_TRUST_PROXY === undefined || parsed.CLEAVE_TRUST_PROXY === 'false'
        ? false
        : parsed.CLEAVE_TRUST_PROXY === 'true'
          ? true
          : parsed.CLEAVE_TRUST_PROXY.split(','),
    faults: parseFaults(parsed.CLEAVE_FAULTS),
    events: {
      maxAttempts: parsed.CLEAVE_EVENT_MAX_ATTEMPTS ?? 5,
      backoffBaseMs: parsed.CLEAVE_EVENT_BACKOFF_MS ?? 200,
      maxInFlight: parsed.CLEAVE_EVENT_MAX_IN_FLIGHT ?? 1,
      outboxPollMs: parsed.CLEAVE_OUTBOX_POLL_MS ?? 500,
      pruneMs: parsed.CLEAVE_EVENT_PRUNE_MS ?? 60_000,
      catchUpMs: parsed.CLEAVE_EVENT_CATCH_UP_MS ?? 10_000,
      failures: eventFaults(parsed.CLEAVE_EVENT_FAULTS, 'fail'),
      delaysMs: eventFaults(parsed.CLEAVE_EVENT_FAULTS, 'delay'),
    },
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('CLEAVE_') && e[1] !== undefined)),
  };
}

/**
 * A context's own settings, read from the `CLEAVE_*` variables with a class-validator class whose field
 * names are the variable names; numeric strings become numbers. Fields keep their defaults when unset;
 * a bad value throws a ConfigurationError naming it.
 */
export function readSettings<T extends object>(settings: new () => T, env: Readonly<Record<string, string>>): T {
  const defaults = new settings() as Record<string, unknown>;
  const raw: Record<string, unknown> = { ...defaults };
  for (const key of Object.keys(defaults)) {
    const value = env[key]?.trim();
    if (value === undefined || value === '') continue;
    raw[key] = typeof defaults[key] === 'number' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  const instance = plainToInstance(settings, raw);
  const errors = validateSync(instance, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const lines = problemLines(errors, env);
    throw new ConfigurationError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return instance;
}

/**
 * Settings whose defaults are development credentials (in the source for anyone to read): one still at its
 * default stops start-up under NODE_ENV=production, naming it, and is warned about otherwise.
 */
export function refuseDevelopmentCredentials<T extends object>(
  settings: T,
  names: readonly (keyof T & string)[],
  config: Pick<CleaveConfig, 'production'>,
  context: string,
): T {
  const defaults = new (settings.constructor as new () => T)();
  const unchanged = names.filter((name) => settings[name] === defaults[name]);
  if (unchanged.length === 0) return settings;
  if (config.production) {
    throw new ConfigurationError(
      `NODE_ENV=production with the development ${unchanged.join(', ')}: set ${unchanged.length > 1 ? 'each' : 'it'} to a secret of your own (or its *_FILE form)`,
    );
  }
  for (const name of unchanged)
    new Logger(context).warn(`${name} is the development value: set a secret of your own (NODE_ENV=production refuses it)`);
  return settings;
}

// The variable names, listed once so loadCleaveConfig only reads what it validates.
class CleaveEnvironmentKeys implements Required<Record<keyof CleaveEnvironment, undefined>> {
  CLEAVE_SERVICES = undefined;
  CLEAVE_TRANSPORT = undefined;
  NATS_URL = undefined;
  NATS_USER = undefined;
  NATS_PASSWORD = undefined;
  NATS_TOKEN = undefined;
  NATS_NKEY_SEED = undefined;
  NATS_CREDS = undefined;
  NATS_TLS_CA = undefined;
  NATS_TLS_CERT = undefined;
  NATS_TLS_KEY = undefined;
  CLEAVE_EVENT_STREAM_REPLICAS = undefined;
  CLEAVE_PRINCIPAL_PRIVATE_KEY = undefined;
  CLEAVE_PRINCIPAL_PUBLIC_KEY = undefined;
  NODE_ENV = undefined;
  CLEAVE_NATS_PREFIX = undefined;
  CLEAVE_DEFAULT_TIMEOUT_MS = undefined;
  CLEAVE_EVENT_TIMEOUT_MS = undefined;
  LOG_LEVEL = undefined;
  CLEAVE_INSTANCE_ID = undefined;
  CLEAVE_DATA_DIR = undefined;
  DATABASE_URL = undefined;
  CLEAVE_MIGRATIONS = undefined;
  PORT = undefined;
  HOST = undefined;
  CLEAVE_MANAGEMENT_PORT = undefined;
  CLEAVE_MANAGEMENT_HOST = undefined;
  CLEAVE_SHUTDOWN_DELAY_MS = undefined;
  CLEAVE_BREAKER_FAILURES = undefined;
  CLEAVE_BREAKER_HALF_OPEN_MS = undefined;
  CLEAVE_BUS_MAX_OUTSTANDING = undefined;
  CLEAVE_BUS_RETRIES = undefined;
  CLEAVE_MAX_IN_FLIGHT = undefined;
  CLEAVE_HTTP_MAX_EVENT_LOOP_DELAY_MS = undefined;
  CLEAVE_TRUST_PROXY = undefined;
  CLEAVE_FAULTS = undefined;
  CLEAVE_EVENT_FAULTS = undefined;
  CLEAVE_EVENT_MAX_ATTEMPTS = undefined;
  CLEAVE_EVENT_BACKOFF_MS = undefined;
  CLEAVE_EVENT_MAX_IN_FLIGHT = undefined;
  CLEAVE_OUTBOX_POLL_MS = undefined;
  CLEAVE_EVENT_PRUNE_MS = undefined;
  CLEAVE_EVENT_CATCH_UP_MS = undefined;
}

function eventFaults(setting: string | undefined, kind: 'fail' | 'delay'): Record<string, number> {
  const items = (setting?.split(',') ?? []).map((item) => /^(.+)=(fail|delay):(\d+)$/.exec(item)!);
  return Object.fromEntries(items.filter((m) => m[2] === kind).map((m) => [m[1]!, Number(m[3])]));
}

function parseFaults(setting: string | undefined): CleaveConfig['faults'] {
  const faults: Record<string, { delayMs: number; replyDelayMs: number }> = {};
  for (const item of setting?.split(',') ?? []) {
    const [pattern, spec] = item.split('=') as [string, string];
    const [kind, ms] = spec.split(':') as [string, string];
    const fault = (faults[pattern] ??= { delayMs: 0, replyDelayMs: 0 });
    if (kind === 'delay') fault.delayMs = Number(ms);
    else fault.replyDelayMs = Number(ms);
  }
  return faults;
}
