import type { RouterOutputs } from '@tessera/api';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RestError } from '../src/http/rest/errors.js';
import { signUp } from './helpers/accounts.js';
import { perFile } from './helpers/per-file.js';
import { startTestServer } from './helpers/server.js';

type UserPage = RouterOutputs['users']['list'];

// Query strings carry only text: these check the list filters and booleans survive the trip
// through the REST adapter (which switches zod coercion on in place, and Boolean("false") is true).

const server = perFile(() => startTestServer());
let token: string;
let disabledId: string;
let enabledId: string;

beforeAll(async () => {
  token = (await signUp(server, { role: 'admin', name: 'Rest Admin', prefix: 'rest-list' })).token;
  enabledId = (await signUp(server, { name: 'Enabled Person', prefix: 'rest-list' })).id;
  disabledId = (await signUp(server, { name: 'Disabled Person', prefix: 'rest-list' })).id;
  await server.database.db
    .updateTable('users')
    .set({ disabled_at: new Date() })
    .where('id', '=', disabledId)
    .execute();
});
/** A GET as the admin; `Body` names what the answer holds (a page, or a RestError). */
async function get<Body>(path: string) {
  const response = await fetch(`${server.url}/api${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Body };
}

describe('GET /api/users query strings', () => {
  it('reads disabled=true and disabled=false as the booleans they name', async () => {
    const disabled = await get<UserPage>('/users?disabled=true&limit=100');
    expect(disabled.status).toBe(200);
    expect(disabled.body.items.map((u) => u.id)).toEqual([disabledId]);
    const enabled = await get<UserPage>('/users?disabled=false&limit=100');
    expect(enabled.status).toBe(200);
    const ids = enabled.body.items.map((u) => u.id);
    expect(ids).toContain(enabledId);
    expect(ids).not.toContain(disabledId);
  });

  it('answers 400 with a field error for a filter that is not true or false, or a limit that is not a number', async () => {
    const maybe = await get<RestError>('/users?disabled=maybe');
    expect(maybe.status).toBe(400);
    expect(Object.keys(maybe.body.fieldErrors ?? {})).toEqual(['disabled']);
    const limit = await get<RestError>('/users?limit=many');
    expect(limit.status).toBe(400);
    expect(Object.keys(limit.body.fieldErrors ?? {})).toEqual(['limit']);
  });

  it('pages with limit, sort, order and the opaque cursor', async () => {
    const first = await get<UserPage>('/users?limit=1&sort=name&order=asc');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.items[0]?.name).toBe('Disabled Person');
    const second = await get<UserPage>(`/users?limit=1&sort=name&order=asc&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0]?.name).toBe('Enabled Person');
  });

  it('leaves the typed client strict after REST requests: disabled: false still enables', async () => {
    await get<UserPage>('/users?disabled=false');
    const admin = server.client(token);
    expect((await admin.users.update.mutate({ id: disabledId, disabled: false })).disabled).toBe(false);
    expect((await admin.users.update.mutate({ id: disabledId, disabled: true })).disabled).toBe(true);
  });
});
