import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const SERVER_DIR = resolve(import.meta.dirname, '../..');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tessera <args>` as a user would (a child process, only `env` set), with `input` on a piped stdin. */
export function runCli(args: string[], env: Record<string, string>, input = ''): Promise<Run> {
  return run(
    SERVER_DIR,
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'src/cli.ts', ...args],
    input,
    env,
  );
}

/** Runs a command in `cwd` with only PATH, HOME and `childEnv` in its environment. */
export function run(
  cwd: string,
  command: string,
  args: string[],
  input: string,
  childEnv: Record<string, string>,
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...childEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
