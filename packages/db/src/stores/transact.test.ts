import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../engine.js';
import { freshDatabase, type FreshDatabase } from '../testing.js';
import { migrateToLatest } from '../migrate.js';
import { createStores, createTransact } from './index.js';

let fresh: FreshDatabase;
let database: DatabaseHandle;

beforeAll(async () => {
  fresh = await freshDatabase('transact');
  database = fresh.database;
  await migrateToLatest(database.db);
}, 120_000);
afterAll(async () => {
  await fresh?.dispose();
});

const sqlState = (code: string) => Object.assign(new Error(`simulated ${code}`), { code });

describe('transact', () => {
  it('runs the work once more after a deadlock or serialization failure, and tells onRetry', async () => {
    for (const code of ['40P01', '40001']) {
      const retried: string[] = [];
      const transact = createTransact(database.db, { onRetry: (c) => retried.push(c) });
      let runs = 0;
      const result = await transact(() => {
        runs += 1;
        return runs === 1 ? Promise.reject(sqlState(code)) : Promise.resolve('done');
      });
      expect({ result, runs, retried }).toEqual({ result: 'done', runs: 2, retried: [code] });
    }
  });

  it('retries once only, and never after other errors', async () => {
    const transact = createTransact(database.db);
    let runs = 0;
    const failing = (code: string) =>
      transact(() => {
        runs += 1;
        return Promise.reject(sqlState(code));
      });
    await expect(failing('40P01')).rejects.toMatchObject({ code: '40P01' });
    expect(runs).toBe(2);
    runs = 0;
    await expect(failing('23505')).rejects.toMatchObject({ code: '23505' });
    expect(runs).toBe(1);
  });

  // PGlite has one connection: two transactions never wait on each other there.
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'turns a real PostgreSQL deadlock into a wait: both transactions land',
    async () => {
      const stores = createStores(database.db);
      const insert = (name: string) =>
        stores.users.insert({
          email: `${name}.${randomBytes(4).toString('hex')}@example.com`,
          name,
          passwordHash: null,
          role: 'user',
          locale: 'en',
        });
      const [a, b] = [await insert('a'), await insert('b')];
      const retried: string[] = [];
      const transact = createTransact(database.db, { onRetry: (code) => retried.push(code) });
      let holding = 0;
      const bothHoldOneRow = () =>
        new Promise<void>((resolve) => {
          holding += 1;
          const check = () => (holding >= 2 ? resolve() : setTimeout(check, 5));
          check();
        });
      // Each locks one row, waits until the other holds the other row, then asks for it: a cycle
      // PostgreSQL breaks by failing one of them with 40P01.
      const renameBoth = (first: string, second: string, to: string) =>
        transact(async (trx) => {
          await trx.users.findByIdForUpdate(first);
          await bothHoldOneRow();
          await trx.users.findByIdForUpdate(second);
          await trx.users.update(first, { name: `${to} first` });
          await trx.users.update(second, { name: `${to} second` });
        });
      await Promise.all([renameBoth(a.id, b.id, 'x'), renameBoth(b.id, a.id, 'y')]);
      expect(retried).toEqual(['40P01']);
      // The retried transaction ran whole after the other one: its names are the ones left.
      const names = [(await stores.users.findById(a.id))!.name, (await stores.users.findById(b.id))!.name];
      expect([
        ['x first', 'x second'],
        ['y second', 'y first'],
      ]).toContainEqual(names);
    },
  );
});
