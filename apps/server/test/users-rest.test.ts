import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, STRONG_PASSWORD, uniqueEmail, type TestServer } from './helpers/server.js';

// Query strings carry only text: these check the list filters and booleans survive the trip
// through the REST adapter (which switches zod coercion on in place, and Boolean("false") is true).

let server: TestServer;
let token: string;
let disabledId: string;
let enabledId: string;

beforeAll(async () => {
  server = await startTestServer();
  const register = (name: string) =>
    server
      .client()
      .auth.register.mutate({ name, email: uniqueEmail('rest-list'), password: STRONG_PASSWORD });
  const admin = await register('Rest Admin');
  await server.database.db
    .updateTable('users')
    .set({ role: 'admin' })
    .where('id', '=', admin.user.id)
    .execute();
  token = admin.accessToken;
  enabledId = (await register('Enabled Person')).user.id;
  disabledId = (await register('Disabled Person')).user.id;
  await server.database.db
    .updateTable('users')
    .set({ disabled_at: new Date() })
    .where('id', '=', disabledId)
    .execute();
});
afterAll(() => server?.close());

async function get(path: string) {
  const response = await fetch(`${server.url}/api${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as any };
}

describe('GET /api/users query strings', () => {
  it('reads disabled=true and disabled=false as the booleans they name', async () => {
    const disabled = await get('/users?disabled=true&limit=100');
    expect(disabled.status).toBe(200);
    expect(disabled.body.items.map((u: { id: string }) => u.id)).toEqual([disabledId]);
    const enabled = await get('/users?disabled=false&limit=100');
    expect(enabled.status).toBe(200);
    const ids = enabled.body.items.map((u: { id: string }) => u.id);
    expect(ids).toContain(enabledId);
    expect(ids).not.toContain(disabledId);
  });

  it('answers 400 with a field error for a filter that is not true or false, or a limit that is not a number', async () => {
    const maybe = await get('/users?disabled=maybe');
    expect(maybe.status).toBe(400);
    expect(Object.keys(maybe.body.fieldErrors)).toEqual(['disabled']);
    const limit = await get('/users?limit=many');
    expect(limit.status).toBe(400);
    expect(Object.keys(limit.body.fieldErrors)).toEqual(['limit']);
  });

  it('pages with limit, sort, order and the opaque cursor', async () => {
    const first = await get('/users?limit=1&sort=name&order=asc');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.items[0].name).toBe('Disabled Person');
    const second = await get(`/users?limit=1&sort=name&order=asc&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].name).toBe('Enabled Person');
  });

  it('leaves the typed client strict after REST requests: disabled: false still enables', async () => {
    await get('/users?disabled=false');
    const admin = server.client(token);
    expect((await admin.users.update.mutate({ id: disabledId, disabled: false })).disabled).toBe(false);
    expect((await admin.users.update.mutate({ id: disabledId, disabled: true })).disabled).toBe(true);
  });
});
