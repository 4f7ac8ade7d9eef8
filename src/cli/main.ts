#!/usr/bin/env node
// The `mailcode` command (see cli-program.ts for every command it has).
import { CommanderError } from 'commander';
import { mailcodeProgram, usageExitCode } from './program.js';

try {
  await mailcodeProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and --version end here with 0; every refusal was already printed on one line.
    process.exit(error.exitCode === 0 ? 0 : usageExitCode);
  }
  // Anything else (the database unreachable, a full disk): one line, not a stack.
  process.stderr.write(`mailcode: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
