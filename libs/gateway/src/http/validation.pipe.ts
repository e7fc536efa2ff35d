import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { PlatformErrors } from '@cleave/contracts';
import { CleaveError, decoderFor, fieldViolations, plainValueFault, violationsError } from '@cleave/platform';

/** `merchant.name` as a form field is named: `merchant[name]`. */
export const formFieldName = (dotted: string): string =>
  dotted
    .split('.')
    .map((part, i) => (i === 0 ? part : `[${part}]`))
    .join('');

/** Types the pipe leaves as they are (Nest's own list): only DTO classes are decoded. */
const UNCHECKED = new Set<unknown>([String, Boolean, Number, Array, Object, Buffer, Date]);

/**
 * Request bodies and queries, validated against their DTOs: form strings become numbers where declared,
 * unknown fields are refused, and each failure names the field (`bad_request.missing_param`). Before any
 * rule runs, input nested absurdly deep or holding text no database stores alike (NUL, unpaired
 * surrogates) is refused, naming the field, so it can't exhaust the stack or reach a column.
 */
export class GatewayValidationPipe extends ValidationPipe {
  constructor(private readonly compiledDecoder = true) {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => {
        // As a form names them: `merchant[name]`.
        return violationsError(fieldViolations(errors).map((f) => ({ ...f, field: formFieldName(f.field) })));
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A JSON `null`, list, string or number is no body of any route (class-transformer would pass `null` as none).
    if (metadata.type === 'body' && value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw CleaveError.ofField(PlatformErrors.badParam, {
        field: 'body',
        rule: 'isObject',
        message: 'the body must be a JSON object or a form',
      });
    }
    if (metadata.type === 'body' || metadata.type === 'query') {
      // A fault in the body or query as a whole is named as such.
      const fault = plainValueFault(value, metadata.type);
      if (fault !== undefined) {
        const field = formFieldName(fault.field);
        const message = fault.message.replace(fault.field, field);
        throw CleaveError.ofField(PlatformErrors.badParam, { field, rule: fault.rule, message });
      }
    }
    // A body the bus's compiled decoder accepts is the instance class-transformer and class-validator would
    // have made, for a fraction of the work (the card network's JSON, above all); anything else, form strings
    // for numbers included, goes the whole way, so refusals are worded as before.
    if (this.compiledDecoder && metadata.type === 'body' && typeof metadata.metatype === 'function' && !UNCHECKED.has(metadata.metatype)) {
      const accepted = decoderFor(metadata.metatype as new () => object).accept(value);
      if (accepted !== undefined) return accepted;
    }
    return super.transform(value, metadata);
  }
}

export const gatewayValidationPipe = new GatewayValidationPipe();
