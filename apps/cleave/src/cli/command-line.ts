import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Stops a command with a message, exit code 2 (a usage error). */
export function failCommand(command: string, message: string): never {
  process.stderr.write(`${command}: ${message}\n`);
  process.exit(2);
}

/**
 * A command's options, parsed strictly: an unknown or malformed option stops it with the usage text, and
 * `-h`/`--help` prints the usage and exits.
 */
export function commandLine<O extends Options>(command: string, usage: string, options: O) {
  let parsed;
  try {
    parsed = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (error) {
    failCommand(command, `${(error as Error).message}\n\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return parsed.values as ReturnType<typeof parseArgs<{ options: O }>>['values'];
}
