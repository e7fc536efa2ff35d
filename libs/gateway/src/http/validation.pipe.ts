import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { CleaveError } from '@cleave/platform';

function flatten(errors: ValidationError[], prefix = ''): Array<{ field: string; rule: string; message: string; missing: boolean }> {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}[${e.property}]` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([rule, message]) => ({ field, rule, message, missing: e.value === undefined }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * Request bodies and queries, validated against their DTOs: form strings become numbers where declared,
 * unknown fields are refused, and each failure names the field (`bad_request.missing_param`).
 */
export const gatewayValidationPipe = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: true },
  exceptionFactory: (errors) => {
    const fields = flatten(errors);
    return CleaveError.badRequest(fields.map((f) => f.message).join('; '), fields.every((f) => f.missing) ? 'missing_param' : 'bad_param', {
      fields: fields.map(({ field, rule, message }) => ({ field, rule, message })),
    });
  },
});
