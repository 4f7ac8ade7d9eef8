// The `mailcode` command run inside the test's process: the same program the binary runs
// (src/cli/program.ts), with its environment, its output and its exit code — without
// a Node process per command (each cost ~1.5 s of loading under coverage). What only a real
// process shows (the shebang, process.exit, signals) stays with runCli.
import { CommanderError } from 'commander';
import { mailcodeProgram, usageExitCode } from '../../src/cli/program.js';

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs one command as `mailcode ...args` would, with `env` over this process's environment. */
export async function mailcode(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  // stdout itself is left alone: it carries this test's TAP stream. The commands print with
  // console.log (only `qa` writes to stdout directly, and it is not run here).
  const saved = {
    env: process.env,
    exitCode: process.exitCode,
    exit: process.exit,
    err: process.stderr.write,
    log: console.log,
    error: console.error,
  };
  process.env = { ...process.env, ...env };
  process.exitCode = undefined;
  process.exit = ((code?: number) => {
    throw new Exited(code ?? 0);
  }) as typeof process.exit;
  process.stderr.write = ((chunk: string | Uint8Array) => (
    (stderr += String(chunk)), true
  )) as typeof process.stderr.write;
  console.log = (...parts: unknown[]) => void (stdout += `${parts.map(String).join(' ')}\n`);
  console.error = (...parts: unknown[]) => void (stderr += `${parts.map(String).join(' ')}\n`);
  let status: number;
  try {
    await mailcodeProgram().parseAsync(['node', 'mailcode', ...args]);
    status = Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof Exited) status = error.code;
    else if (error instanceof CommanderError) status = error.exitCode === 0 ? 0 : usageExitCode;
    else {
      stderr += `mailcode: ${error instanceof Error ? error.message : String(error)}\n`;
      status = 1;
    }
  } finally {
    process.env = saved.env;
    process.exitCode = saved.exitCode;
    process.exit = saved.exit;
    process.stderr.write = saved.err;
    console.log = saved.log;
    console.error = saved.error;
  }
  return { status, stdout, stderr };
}
