/**
 * The `rekisteri` command. Each subcommand is a thin shell over the same services the API uses.
 */
import { CommanderError } from 'commander';
import { DefinitionError } from '../modules/definition/index.ts';
import { describeError, prefixed, quietOnClosedPipe } from './errors.ts';
import { buildProgram } from './program.ts';

quietOnClosedPipe();

const program = buildProgram();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (err instanceof DefinitionError) {
    console.error(err.message);
    process.exitCode = 1;
  } else {
    console.error(prefixed(describeError(err)));
    process.exitCode = 1;
  }
  // A failed command ends within seconds even if something it opened (a pool, a worker) still
  // holds the event loop.
  setTimeout(() => process.exit(), 2000).unref();
}
