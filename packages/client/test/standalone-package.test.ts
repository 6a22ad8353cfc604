import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'tessera-client-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * What an outside project sees: the packed tarball installed with npm, far from the
 * workspace, must typecheck real calls without any server source around.
 */
describe('the packed @tessera/client', () => {
  it('installs outside the workspace and types every call', () => {
    execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: packageDir, stdio: 'pipe' });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();

    const project = join(work, 'consumer');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
    );
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', join(work, tarball!), 'typescript@5.9.3'],
      { cwd: project, stdio: 'pipe' },
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          // tRPC's own typings use the Disposable types.
          lib: ['ES2022', 'DOM', 'ESNext.Disposable'],
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        include: ['*.ts'],
      }),
    );
    writeFileSync(
      join(project, 'good.ts'),
      `import { can, createClient, createSession, errorCode, verifyAccessToken, verifyWebhook, type RouterOutputs, type WebhookEventType } from '@tessera/client';
import * as serverOnly from '@tessera/client/server';
const client = createClient({ url: 'http://localhost:3000' });
export async function signIn(email: string, password: string) {
  const answer = await client.auth.login.mutate({ email, password });
  // An account with a second factor answers with a challenge instead of tokens.
  const result = 'mfaRequired' in answer ? await client.auth.verifyMfa.mutate({ mfaToken: answer.mfaToken, code: '123456' }) : answer;
  const role: 'admin' | 'manager' | 'user' = result.user.role;
  const mayList: boolean = can(result.user, 'users.list');
  const me: RouterOutputs['users']['me'] = await createClient({ url: 'x', token: result.accessToken }).users.me.query();
  return { role, mayList, me, expiresIn: result.expiresIn satisfies number, code: errorCode(new Error()) };
}
export async function signInWithSession(email: string, password: string, code: string) {
  const session = createSession({ url: 'http://localhost:3000' });
  const step = await session.signIn({ email, password });
  const user = step.status === 'signed-in' ? step.user : await step.challenge.verify(code);
  const methods: ('totp' | 'recovery_code' | 'passkey')[] = step.status === 'mfa-required' ? [...step.challenge.methods] : [];
  return { mfaEnabled: user.mfaEnabled satisfies boolean, methods };
}

export async function fromAnotherService(body: string, headers: Record<string, string>, token: string) {
  const event = verifyWebhook(body, headers, 'whsec_x');
  const email: string = event.data.user.email;
  const type: 'user.created' | WebhookEventType = event.type;
  const claims = await verifyAccessToken(token, { url: 'http://localhost:3000' });
  const alsoFromServerEntry = serverOnly.verifyWebhook(body, headers, 'whsec_x').data.user.role;
  return { email, type, role: claims.role satisfies 'admin' | 'manager' | 'user', alsoFromServerEntry };
}
`,
    );
    execFileSync('npx', ['tsc', '-p', '.'], { cwd: project, stdio: 'pipe' });

    // The role policy runs from the package alone: the server's own rules, not a copy.
    writeFileSync(
      join(project, 'policy.mjs'),
      `import { auditActions, can, creatableRoles } from '@tessera/client';
const manager = { id: 'm', role: 'manager' };
console.log(JSON.stringify({
  setRole: can(manager, 'users.setRole', { id: 'u', role: 'user' }),
  disable: can(manager, 'users.disable', { id: 'u', role: 'user' }),
  creatable: creatableRoles(manager),
  audit: auditActions.includes('users.delete'),
}));
`,
    );
    const policy: unknown = JSON.parse(
      execFileSync('node', ['policy.mjs'], { cwd: project, encoding: 'utf8' }),
    );
    expect(policy).toEqual({ setRole: false, disable: true, creatable: ['user'], audit: true });

    // What ships is one bundle that needs tRPC's client and nothing of the server: no
    // @tessera/api, no zod, none of tRPC's server beyond the observable it shares with the client.
    const installed = join(project, 'node_modules', '@tessera', 'client');
    expect(readdirSync(join(installed, 'dist')).sort()).toEqual([
      'index.d.ts',
      'index.js',
      'index.js.map',
      'server.d.ts',
      'server.js',
      'server.js.map',
    ]);
    const importsOf = (file: string) =>
      new Set(
        [...readFileSync(join(installed, 'dist', file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]),
      );
    expect(importsOf('index.js')).toEqual(
      new Set(['@trpc/client', '@trpc/server/observable', './server.js']),
    );
    // The helpers for Node services need only jose and standardwebhooks: no tRPC, nothing of the server.
    expect(importsOf('server.js')).toEqual(new Set(['jose', 'standardwebhooks']));
    for (const file of ['index.d.ts', 'server.d.ts'])
      expect(readFileSync(join(installed, 'dist', file), 'utf8')).not.toMatch(/from ['"](zod|@tessera\/)/);

    // And it must catch mistakes: a wrong input type fails to compile.
    writeFileSync(
      join(project, 'bad.ts'),
      `import { createClient } from '@tessera/client';
export const bad = () => createClient({ url: 'x' }).auth.login.mutate({ email: 'a@b.c', password: 42 });
`,
    );
    let failure = '';
    try {
      execFileSync('npx', ['tsc', '-p', '.'], { cwd: project, stdio: 'pipe' });
    } catch (error) {
      failure = String((error as { stdout?: Buffer }).stdout);
    }
    expect(failure).toMatch(/bad\.ts.*Type 'number' is not assignable to type 'string'/s);
  }, 180_000);

  it('verifies access tokens against a JWKS and webhooks against their secret, from the installed package', async () => {
    const project = join(work, 'consumer');
    // A stand-in for Tessera's /.well-known/jwks.json (the server's own is tested in apps/server).
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    const jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const address = jwks.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const token = (aud: string) =>
        new SignJWT({ role: 'manager', sid: 'session-1' })
          .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' })
          .setIssuer(url)
          .setAudience(aud)
          .setSubject('user-1')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
      const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
      const body = JSON.stringify({
        type: 'user.created',
        timestamp: new Date().toISOString(),
        data: { user: { email: 'a@b.c' } },
      });
      const headers = {
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': new Webhook(secret).sign('msg_1', new Date(), body),
      };
      writeFileSync(
        join(project, 'verify.mjs'),
        `import { verifyAccessToken, verifyWebhook } from '@tessera/client';
const [url, good, wrongAudience, body, headers, secret] = process.argv.slice(2);
const outcome = async (run) => { try { return await run(); } catch (error) { return error.code ?? error.name; } };
console.log(JSON.stringify({
  token: await outcome(() => verifyAccessToken(good, { url }).then((t) => [t.userId, t.role, t.sessionId])),
  wrongAudience: await outcome(() => verifyAccessToken(wrongAudience, { url })),
  webhook: await outcome(() => verifyWebhook(body, JSON.parse(headers), secret).data.user.email),
  tampered: await outcome(() => verifyWebhook(body.replace('a@b.c', 'x@b.c'), JSON.parse(headers), secret)),
  wrongSecret: await outcome(() => verifyWebhook(body, JSON.parse(headers), 'whsec_' + Buffer.alloc(32, 8).toString('base64'))),
}));
`,
      );
      const { stdout } = await promisify(execFile)(
        'node',
        [
          'verify.mjs',
          url,
          await token('tessera'),
          await token('elsewhere'),
          body,
          JSON.stringify(headers),
          secret,
        ],
        { cwd: project },
      );
      expect(JSON.parse(stdout)).toEqual({
        token: ['user-1', 'manager', 'session-1'],
        wrongAudience: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
        webhook: 'a@b.c',
        tampered: 'WebhookVerificationError',
        wrongSecret: 'WebhookVerificationError',
      });
    } finally {
      jwks.close();
    }
  }, 60_000);
});
