import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export interface NodeProcess {
  pid: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface NodeProcessOptions {
  /** What the process is, for error messages. */
  label: string;
  /** Arguments to `node`: flags, then the entry file and its arguments. */
  args: string[];
  cwd: string;
  env: Record<string, string>;
  port: number;
  /** Path polled until it answers 200. */
  readyPath: string;
  readyTimeoutMs?: number;
  /** How often `readyPath` is polled (100 ms by default; finer to time a start). */
  readyPollMs?: number;
}

/** The environment every process under test starts from: nothing inherited but PATH. */
export function productionEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', NODE_ENV: 'production' };
}

/**
 * Starts a Node.js process of its own (so the load generator never shares its event loop)
 * and waits until `readyPath` answers 200. Its output is kept to explain a failed start.
 */
export async function startNode(options: NodeProcessOptions): Promise<NodeProcess> {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', (chunk: Buffer) => {
    keep(chunk);
    // Warnings and errors from a process under test matter to whoever reads the results.
    process.stderr.write(`[${options.label}] ${chunk.toString()}`);
  });
  const exited = once(child, 'exit');
  let stopping = false;
  child.once('exit', (code, signal) => {
    // A run that then fails with "fetch failed" is explained by this line.
    if (!stopping)
      process.stderr.write(
        `[${options.label}] exited unexpectedly (${signal ?? `code ${code}`})\n${output}\n`,
      );
  });
  const url = `http://127.0.0.1:${options.port}`;
  const stop = (graceMs = 15_000) => {
    stopping = true;
    return stopChild(child, exited, graceMs);
  };

  try {
    await waitReady(
      `${url}${options.readyPath}`,
      child,
      options.readyTimeoutMs ?? 60_000,
      options.readyPollMs ?? 100,
    );
  } catch (error) {
    await stop(2_000);
    throw new Error(`${options.label} did not start: ${(error as Error).message}\n${output}`);
  }
  return { pid: child.pid!, url, stop };
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, pollMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A port nobody listens on right now (the OS picks it; we release it for the child). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || !address) throw new Error('no port assigned');
  return address.port;
}
