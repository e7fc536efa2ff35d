import { plainToInstance, TransformationType, type TransformFnParams } from 'class-transformer';
// class-transformer keeps its @Type metadata in this module and exposes no public reader for it; @nestjs/swagger
// and @nestjs/mapped-types read it from the same place.
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import { getMetadataStorage, validateSync, type ValidationError, type ValidationArguments } from 'class-validator';
import type { DtoClass, FieldViolation } from '@cleave/contracts';
import { CleaveError } from '../errors/cleave-error';
import { ABSENT, toWire, toWireField } from './wire';
import { assertStorable } from './plain-value';
import { PlatformErrors } from '@cleave/contracts';

/** The options every receiving side validates with: unknown fields are an error, not silently dropped. */
export const VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: true },
} as const;

/** Turns a received plain value into a validated DTO instance, or throws `bad_request` naming each field. */
export interface DtoDecoder<T extends object> {
  readonly dto: DtoClass<T>;
  /** False when the class uses a feature the fast path does not cover; it then always uses class-validator. */
  readonly fast: boolean;
  decode(plain: unknown): T;
  /**
   * Decodes a value handed over in-process: the same result as `decode(toWire(value))`, in one pass. The
   * instance shares nothing with `value`.
   */
  decodeLocal(value: unknown): T;
  /**
   * The instance when the fast path accepts `plain` as it stands, else undefined (and no error: the caller
   * words the refusal its own way). For callers that have already refused what can't be stored.
   */
  accept(plain: unknown): T | undefined;
}

type Check = (value: unknown, args: ValidationArguments) => unknown;

interface RuleCheck {
  readonly validate: Check;
  readonly targetName: string;
  readonly each: boolean;
  readonly validateIf?: (object: object, value: unknown) => boolean;
  readonly constraints: unknown[];
  readonly property: string;
}

interface PropertyPlan {
  readonly name: string;
  readonly conditions: ReadonlyArray<(object: object, value: unknown) => boolean>;
  readonly defined: readonly RuleCheck[];
  readonly rules: readonly RuleCheck[];
  /** The plan of a `@ValidateNested() @Type(() => X)` property's class. */
  readonly nested?: ClassPlan;
  readonly validatesNested: boolean;
  readonly toDate: boolean;
  /** Its `@Transform`s, as class-transformer would run them turning a plain value into an instance. */
  readonly transforms: ReadonlyArray<(params: TransformFnParams) => unknown>;
}

interface ClassPlan {
  readonly dto: DtoClass;
  readonly properties: readonly PropertyPlan[];
  readonly known: ReadonlySet<string>;
  /** An undecorated field with an initializer: class-validator's whitelist rejects every instance. */
  readonly alwaysRejected: boolean;
}

const decoders = new WeakMap<DtoClass, DtoDecoder<object>>();

/**
 * The decoder for a DTO class, compiled once from its class-validator and class-transformer metadata.
 *
 * class-validator stays the single source of the rules: the fast path calls the very constraint functions
 * the decorators registered, in the order class-validator's executor would, but skips its per-call
 * metadata lookups, error objects and class-transformer's generic walk. On any failure the input is run
 * through class-transformer and class-validator themselves, so error messages are theirs, word for word.
 */
export function decoderFor<T extends object>(dto: DtoClass<T>): DtoDecoder<T> {
  let decoder = decoders.get(dto);
  if (!decoder) {
    decoder = compile(dto);
    decoders.set(dto, decoder);
  }
  return decoder as DtoDecoder<T>;
}

function compile<T extends object>(dto: DtoClass<T>): DtoDecoder<T> {
  const plan = planClass(dto, new Map());
  if (!plan)
    return {
      dto,
      fast: false,
      decode: (plain) => slowDecode(dto, plain),
      decodeLocal: (value) => slowDecode(dto, toWire(value)),
      accept: () => undefined,
    };
  return {
    dto,
    fast: true,
    decode(plain: unknown): T {
      // What is no object is refused as such before anything in it is looked at.
      if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) return slowDecode(dto, plain);
      assertStorable(plain);
      const instance = fill(plan, plain, false);
      return (instance ?? slowDecode(dto, plain)) as T;
    },
    decodeLocal(value: unknown): T {
      // A top-level toJSON replaces the whole value: only the generic copy honours that.
      if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        return this.decode(toWire(value));
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return slowDecode(dto, toWire(value));
      assertStorable(value);
      const instance = fill(plan, value, true);
      return (instance ?? slowDecode(dto, toWire(value))) as T;
    },
    accept(plain: unknown): T | undefined {
      return fill(plan, plain, false) as T | undefined;
    },
  };
}

/** Returns undefined when the class needs something only class-validator's own executor does. */
function planClass(dto: DtoClass, seen: Map<DtoClass, ClassPlan | null>): ClassPlan | undefined {
  if (seen.has(dto)) return seen.get(dto) ?? undefined;
  seen.set(dto, null);
  const storage = getMetadataStorage();
  // A class without any rule is a message without fields (class-validator would call it an unknown value).
  const metadatas = storage.getTargetValidationMetadatas(dto, '', false, false, undefined);
  if (hasTransformerFeatures(dto)) return undefined;
  const grouped = storage.groupByPropertyName(metadatas);
  const properties: PropertyPlan[] = [];
  for (const [name, list] of Object.entries(grouped)) {
    const conditions: Array<(object: object, value: unknown) => boolean> = [];
    const defined: RuleCheck[] = [];
    const rules: RuleCheck[] = [];
    let validatesNested = false;
    for (const m of list) {
      if ((m.groups && m.groups.length > 0) || m.always !== undefined) return undefined;
      switch (m.type) {
        case 'conditionalValidation':
          conditions.push(m.constraints[0] as (object: object, value: unknown) => boolean);
          break;
        case 'whitelistValidation':
          break;
        case 'nestedValidation':
          validatesNested = true;
          break;
        case 'isDefined':
        case 'customValidation': {
          const constraints = storage.getTargetValidatorConstraints(m.constraintCls);
          if (constraints.length !== 1 || constraints[0]!.async) return undefined;
          const instance = constraints[0]!.instance as { validate: Check };
          const check: RuleCheck = {
            validate: instance.validate.bind(instance),
            targetName: dto.name,
            each: m.each === true,
            validateIf: m.validateIf,
            constraints: m.constraints ?? [],
            property: m.propertyName,
          };
          (m.type === 'isDefined' ? defined : rules).push(check);
          break;
        }
        default:
          return undefined;
      }
    }
    const type = defaultMetadataStorage.findTypeMetadata(dto, name)?.typeFunction();
    let nested: ClassPlan | undefined;
    let toDate = false;
    if (type === Date) toDate = true;
    else if (type !== undefined) {
      nested = validatesNested ? planClass(type as DtoClass, seen) : undefined;
      if (!nested) return undefined;
    }
    const transformMetadatas = defaultMetadataStorage.findTransformMetadatas(dto, name, TransformationType.PLAIN_TO_CLASS);
    // Grouped or versioned transforms, or one on a converted value, are for class-transformer's own walk.
    if (transformMetadatas.some((t) => t.options?.groups?.length || t.options?.since !== undefined || t.options?.until !== undefined))
      return undefined;
    if (transformMetadatas.length > 0 && type !== undefined) return undefined;
    const transforms = transformMetadatas.map((t) => t.transformFn);
    properties.push({ name, conditions, defined, rules, nested, validatesNested, toDate, transforms });
  }
  const known = new Set(properties.map((p) => p.name));
  const alwaysRejected = Object.keys(new dto()).some((key) => !known.has(key));
  const plan: ClassPlan = { dto, properties, known, alwaysRejected };
  seen.set(dto, plan);
  return plan;
}

function hasTransformerFeatures(dto: DtoClass): boolean {
  const s = defaultMetadataStorage as unknown as {
    getExposedMetadatas(t: DtoClass): unknown[];
    getExcludedMetadatas(t: DtoClass): unknown[];
  };
  return s.getExposedMetadatas(dto).length > 0 || s.getExcludedMetadatas(dto).length > 0;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Builds and checks an instance; undefined means "invalid, ask class-validator why". */
/**
 * Builds and checks an instance; undefined means "invalid, ask class-validator why". With `local`, the source
 * is the caller's own object, and each field is first taken as JSON would carry it.
 */
function fill(plan: ClassPlan, plain: unknown, local: boolean): object | undefined {
  if (plan.alwaysRejected || plain === null || typeof plain !== 'object' || Array.isArray(plain)) return undefined;
  const source = plain as Record<string, unknown>;
  for (const key in source) {
    if (!hasOwn.call(source, key) || plan.known.has(key)) continue;
    if (!local || toWireField(source[key], key) !== ABSENT) return undefined;
  }
  const instance = new plan.dto() as Record<string, unknown>;
  for (const property of plan.properties) {
    if (!hasOwn.call(source, property.name)) continue;
    let value = source[property.name];
    if (local) {
      value = toWireField(value, property.name);
      if (value === ABSENT) continue;
    }
    for (const transform of property.transforms)
      value = transform({ value, key: property.name, obj: source, type: TransformationType.PLAIN_TO_CLASS, options: {} });
    if (property.toDate && value !== null && value !== undefined) value = new Date(value as string);
    else if (property.nested && value !== null && typeof value === 'object') {
      value = fillNested(property.nested, value);
      if (value === undefined) return undefined;
    }
    instance[property.name] = value;
  }
  for (const property of plan.properties) {
    if (!check(property, instance, instance[property.name])) return undefined;
  }
  return instance;
}

function fillNested(plan: ClassPlan, value: object): unknown {
  if (!Array.isArray(value)) return fill(plan, value, false);
  const out = new Array<unknown>(value.length);
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (item === null || typeof item !== 'object') return undefined;
    const filled = fill(plan, item, false);
    if (filled === undefined) return undefined;
    out[i] = filled;
  }
  return out;
}

function check(property: PropertyPlan, object: object, value: unknown): boolean {
  for (const condition of property.conditions) if (!condition(object, value)) return true;
  for (const rule of property.defined) if (!passes(rule, object, value)) return false;
  for (const rule of property.rules) if (!passes(rule, object, value)) return false;
  // Without @Type a nested value stays a plain object, which class-validator rejects: let it say so.
  if (property.validatesNested && value !== undefined) {
    if (value === null || typeof value !== 'object' || property.nested === undefined) return false;
  }
  return true;
}

function passes(rule: RuleCheck, object: object, value: unknown): boolean {
  if (rule.validateIf && !rule.validateIf(object, value)) return true;
  const args: ValidationArguments = {
    targetName: rule.targetName,
    property: rule.property,
    object,
    value,
    constraints: rule.constraints,
  };
  if (rule.each && Array.isArray(value)) {
    for (const item of value) if (!rule.validate(item, args)) return false;
    return true;
  }
  return Boolean(rule.validate(value, args));
}

/** class-transformer + class-validator, for the error messages (and for classes the fast path skips). */
function slowDecode<T extends object>(dto: DtoClass<T>, plain: unknown): T {
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw CleaveError.ofField(PlatformErrors.badParam, { field: '', rule: 'isObject', message: 'the message must be a JSON object' });
  }
  assertStorable(plain);
  const oversized = oversizedArray(dto, plain as Record<string, unknown>);
  if (oversized !== undefined) throw CleaveError.ofField(PlatformErrors.badParam, oversized);
  const instance = plainToInstance(dto, plain);
  const fields = hasRules(dto)
    ? fieldViolations(validateSync(instance, VALIDATOR_OPTIONS)).map((f) => ({
        ...f,
        message: f.field.includes('.') ? `${f.field}: ${f.message}` : f.message,
      }))
    : unknownFields(plain);
  if (fields.length === 0) return instance;
  throw violationsError(fields);
}

/** At most this many violations are named in one refusal: a message of 100,000 unknown fields is not read. */
const MAX_VIOLATIONS_NAMED = 20;

/** The `bad_request` for `fields` (`missing_param` when each is a missing field), naming the first 20. */
export function violationsError(fields: ReadonlyArray<FieldViolation & { missing: boolean }>): CleaveError {
  const named = fields.slice(0, MAX_VIOLATIONS_NAMED);
  const more = fields.length - named.length;
  const message = named.map((f) => f.message).join('; ') + (more > 0 ? `; and ${more} more` : '');
  return CleaveError.of(fields.every((f) => f.missing) ? PlatformErrors.missingParam : PlatformErrors.badParam, message, {
    fields: named.map(({ field, rule, message }) => ({ field, rule, message })),
  });
}

/** Past this many elements an array over its `@ArrayMaxSize` is refused for its length alone. */
const WALKED_ELEMENTS = 1_000;

/**
 * An array of more than a thousand elements and over its `@ArrayMaxSize`, here or in a nested message, found
 * before class-transformer and class-validator walk it: they would make and check every element, and word a
 * violation for each, before saying there are too many (a megabyte of `{}` is 300,000 of them). Shorter
 * arrays are walked, so every field's faults are named as class-validator names them.
 */
function oversizedArray(dto: DtoClass, plain: Record<string, unknown>, prefix = ''): FieldViolation | undefined {
  for (const m of getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false, undefined)) {
    const value = plain[m.propertyName];
    const max = m.constraints?.[0] as number;
    if (m.name === 'arrayMaxSize' && Array.isArray(value) && value.length > max && value.length > WALKED_ELEMENTS) {
      const field = `${prefix}${m.propertyName}`;
      return { field, rule: 'arrayMaxSize', message: `${field} must contain no more than ${max} elements` };
    }
  }
  for (const name of Object.keys(plain)) {
    const value = plain[name];
    if (value === null || typeof value !== 'object') continue;
    const type: unknown = defaultMetadataStorage.findTypeMetadata(dto, name)?.typeFunction();
    if (typeof type !== 'function' || type === Date) continue;
    const items = Array.isArray(value) ? (value as unknown[]) : [value];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
      const path = Array.isArray(value) ? `${prefix}${name}.${i}.` : `${prefix}${name}.`;
      const found = oversizedArray(type as DtoClass, item as Record<string, unknown>, path);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function hasRules(dto: DtoClass): boolean {
  return getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false, undefined).length > 0;
}

function unknownFields(plain: object): Array<FieldViolation & { missing: boolean }> {
  return Object.keys(plain).map((field) => ({
    field,
    rule: 'whitelistValidation',
    message: `property ${field} should not exist`,
    missing: false,
  }));
}

/**
 * class-validator's errors as one violation per field and rule, fields dotted (`merchant.mcc`), messages as
 * the rule gave them: the bus's decoder and the HTTP API's pipe both read failures through this.
 */
export function fieldViolations(errors: ValidationError[], prefix = ''): Array<FieldViolation & { missing: boolean }> {
  const out: Array<FieldViolation & { missing: boolean }> = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    for (const [rule, message] of Object.entries(error.constraints ?? {}))
      out.push({ field, rule, message, missing: error.value === undefined });
    if (error.children?.length) out.push(...fieldViolations(error.children, field));
  }
  return out;
}
