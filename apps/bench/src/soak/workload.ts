import { randomBytes } from 'node:crypto';

/** One answered request: how long it took and its status (0: no answer at all). */
export interface Outcome {
  ms: number;
  status: number;
}

export interface WorkloadOptions {
  /** The nodes; each client alternates between them, so every flow crosses nodes. */
  urls: string[];
  admin: { email: string; password: string };
  clients: number;
  /** Epoch ms at which clients stop starting requests. */
  until: number;
}

export interface WorkloadResult {
  total: number;
  serverErrors: number;
  /** Answers that were neither success nor 5xx (each is a bug in the workload or the server). */
  otherFailures: number;
  /** `procedure status reason` → how many, for every answer that was not a success. */
  failures: Map<string, number>;
  byProcedure: Map<string, Outcome[]>;
  /** Email → when its one reset was asked for. */
  resetsRequested: Map<string, number>;
}

interface Account {
  email: string;
  accessToken: string;
  refreshToken: string;
  resetAsked: boolean;
}

/**
 * Weighted mix of what users and staff do. Each client owns its accounts (no two clients
 * rotate one refresh token, which would be a replay), makes one request at a time, and asks
 * one password reset per account at most, so each reset mail can be counted.
 */
const MIX: [Action, number][] = [
  ['auth.register', 8],
  ['auth.login', 12],
  ['users.me', 45],
  ['auth.refresh', 15],
  ['auth.requestPasswordReset', 5],
  ['users.list', 15],
];
type Action =
  'auth.register' | 'auth.login' | 'users.me' | 'auth.refresh' | 'auth.requestPasswordReset' | 'users.list';
const PASSWORD = 'soak test passphrase, long enough';

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const result: WorkloadResult = {
    total: 0,
    serverErrors: 0,
    otherFailures: 0,
    failures: new Map(),
    byProcedure: new Map(),
    resetsRequested: new Map(),
  };
  let turn = 0;
  const call = async (path: Action, input: unknown, token?: string) => {
    const url = options.urls[turn++ % options.urls.length]!;
    const query = path === 'users.me' || path === 'users.list';
    const started = performance.now();
    let status = 0;
    let body: { result?: { data: unknown }; error?: { data?: { reason?: string } } } = {};
    try {
      const response = await fetch(
        query && input !== undefined
          ? `${url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`
          : `${url}/trpc/${path}`,
        {
          method: query ? 'GET' : 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          ...(query ? {} : { body: JSON.stringify(input) }),
        },
      );
      status = response.status;
      body = (await response.json()) as typeof body;
    } catch {
      status = 0;
    }
    const outcome = { ms: performance.now() - started, status };
    const list = result.byProcedure.get(path) ?? [];
    list.push(outcome);
    result.byProcedure.set(path, list);
    result.total++;
    if (status >= 500) result.serverErrors++;
    else if (status !== 200) result.otherFailures++;
    if (status !== 200) {
      const key = `${path} ${status} ${body.error?.data?.reason ?? ''}`.trim();
      result.failures.set(key, (result.failures.get(key) ?? 0) + 1);
    }
    return status === 200 ? (body.result?.data as Record<string, unknown>) : undefined;
  };

  const admin = await call('auth.login', options.admin);
  if (!admin) throw new Error('the soak admin could not sign in');
  const adminToken = admin.accessToken as string;

  const client = async (id: number) => {
    const accounts: Account[] = [];
    const signUp = async () => {
      const email = `soak.${id}.${randomBytes(5).toString('hex')}@example.com`;
      const data = await call('auth.register', { name: `Soak ${id}`, email, password: PASSWORD });
      if (data)
        accounts.push({
          email,
          accessToken: data.accessToken as string,
          refreshToken: data.refreshToken as string,
          resetAsked: false,
        });
    };
    await signUp();
    while (Date.now() < options.until) {
      const action = pick();
      const account = accounts[Math.floor(Math.random() * accounts.length)];
      if (action === 'auth.register' || !account) await signUp();
      else if (action === 'auth.login') {
        const data = await call('auth.login', { email: account.email, password: PASSWORD });
        if (data) Object.assign(account, { accessToken: data.accessToken, refreshToken: data.refreshToken });
      } else if (action === 'users.me') await call('users.me', undefined, account.accessToken);
      else if (action === 'auth.refresh') {
        const data = await call('auth.refresh', { refreshToken: account.refreshToken });
        if (data) Object.assign(account, { accessToken: data.accessToken, refreshToken: data.refreshToken });
      } else if (action === 'auth.requestPasswordReset') {
        const fresh = accounts.find((a) => !a.resetAsked);
        if (!fresh) continue;
        fresh.resetAsked = true;
        result.resetsRequested.set(fresh.email, Date.now());
        await call('auth.requestPasswordReset', { email: fresh.email });
      } else await call('users.list', { search: `soak.${id}.`, limit: 20 }, adminToken);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
  return result;
}

const TOTAL = MIX.reduce((sum, [, weight]) => sum + weight, 0);
function pick(): Action {
  let r = Math.random() * TOTAL;
  for (const [action, weight] of MIX) if ((r -= weight) < 0) return action;
  return MIX[0]![0];
}
