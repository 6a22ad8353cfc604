import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { productionEnv, startNode, type NodeProcess } from './processes.js';

/** The @tessera/server package, found as any dependency is (this package depends on it). */
export const serverDir = dirname(fileURLToPath(import.meta.resolve('@tessera/server/package.json')));
export const builtEntry = join(serverDir, 'dist', 'main.js');
/** The monorepo root, where turbo runs. */
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** `pnpm turbo run build` of the server and the packages it runs on (unless BENCH_BUILD=false). */
export function buildServer(log: (message: string) => void): void {
  log('building @tessera/server and its dependencies (BENCH_BUILD=false skips this)');
  execFileSync('pnpm', ['turbo', 'run', 'build', '--filter=@tessera/server...'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

export interface TesseraOptions {
  port: number;
  databaseUrl: string;
  dataDir: string;
  /** ARGON2_* settings handed on unchanged. */
  argon2Env: Record<string, string>;
  /** Folder for a V8 CPU profile of the whole run (written when the server exits). */
  cpuProfileDir?: string;
  /** NODE_OPTIONS for the server process. */
  nodeOptions?: string;
  /** Polled until it answers 200 (`/readyz` by default: the database reachable too). */
  readyPath?: string;
  readyPollMs?: number;
  /** More settings for this run (a soak's Redis, SMTP, shared key, metrics token). */
  extraEnv?: Record<string, string>;
}

/** The built server (`node dist/main.js`), as production runs it, with a clean environment. */
export async function startTessera(options: TesseraOptions): Promise<NodeProcess> {
  if (!existsSync(builtEntry))
    throw new Error(
      `${builtEntry} is missing: build first (pnpm turbo run build --filter=@tessera/server...)`,
    );
  const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  if (options.cpuProfileDir) mkdirSync(options.cpuProfileDir, { recursive: true });
  return startNode({
    label: 'tessera',
    args: [...profile, builtEntry],
    cwd: serverDir,
    env: {
      ...productionEnv(),
      // One log line per request would cost more than the requests themselves.
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(options.port),
      PUBLIC_URL: `http://127.0.0.1:${options.port}`,
      DATA_DIR: options.dataDir,
      DATABASE_URL: options.databaseUrl,
      // The bench signs up and signs in its users from one address, many at once: the per-address
      // limits would measure themselves, not the sign-in path.
      RATE_LIMIT_REGISTER: '1000000',
      RATE_LIMIT_REFRESH: '1000000',
      RATE_LIMIT_PASSWORD_CHECKS_IN_FLIGHT: '1000',
      ...options.argon2Env,
      ...options.extraEnv,
      ...(options.nodeOptions ? { NODE_OPTIONS: options.nodeOptions } : {}),
    },
    port: options.port,
    readyPath: options.readyPath ?? '/readyz',
    ...(options.readyPollMs ? { readyPollMs: options.readyPollMs } : {}),
  });
}

export interface Account {
  id: string;
  email: string;
  password: string;
  accessToken: string;
}

/** Calls one tRPC mutation as plain JSON (no transformer) and returns its data. */
async function mutate<T>(url: string, path: string, input: unknown): Promise<T> {
  const response = await fetch(`${url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as { result?: { data: T }; error?: unknown };
  if (!response.ok || !body.result)
    throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.result.data;
}

interface AuthResult {
  user: { id: string };
  accessToken: string;
  refreshToken: string;
}

/** Registers an account through the API, the way a user signs up. */
export async function register(url: string, name: string, email: string, password: string): Promise<Account> {
  const result = await mutate<AuthResult>(url, 'auth.register', { name, email, password });
  return { id: result.user.id, email, password, accessToken: result.accessToken };
}

/** Signs in again for a fresh access token. */
export async function login(url: string, email: string, password: string): Promise<string> {
  return (await signIn(url, email, password)).accessToken;
}

/** Signs in: a new session, with its access and refresh tokens. */
export function signIn(url: string, email: string, password: string): Promise<AuthResult> {
  return mutate<AuthResult>(url, 'auth.login', { email, password });
}

/** GET with a bearer token; the JSON body, or an error naming the status. */
export async function getJson(url: string, token: string): Promise<unknown> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}
