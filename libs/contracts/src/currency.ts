import { isISO4217CurrencyCode, ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';

/**
 * ISO 4217 codes that name no money an account holds or a card pays in: precious metals, bond-market and
 * settlement units, fund codes, the testing code and "no currency". validator.js takes them all as
 * currency codes, so an account in XXX or XAU opened and took payments.
 */
const NOT_MONEY = new Set([
  ...['XAU', 'XAG', 'XPD', 'XPT'],
  ...['XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XSU', 'XUA'],
  ...['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW'],
  ...['XTS', 'XXX'],
]);

/** Whether `code` is an ISO 4217 code of money an account can hold. */
export function isCurrency(code: unknown): boolean {
  return typeof code === 'string' && isISO4217CurrencyCode(code) && !NOT_MONEY.has(code);
}

/** An ISO 4217 code of money an account can hold (see {@link NOT_MONEY} for what that leaves out). */
export function IsCurrency(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCurrency',
      validator: {
        validate: isCurrency,
        defaultMessage: (args?: ValidationArguments) => {
          const field = args?.property ?? 'currency';
          return typeof args?.value === 'string' && NOT_MONEY.has(args.value)
            ? `${field} ${args.value} names no money an account can hold (a precious metal, a fund, a testing or no-currency code)`
            : `${field} must be a valid ISO4217 currency code`;
        },
      },
    },
    options,
  );
}
