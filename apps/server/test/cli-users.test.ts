import { createHash, pbkdf2Sync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { EXPORT_COLUMNS } from '@tessera/api';
import { errorCode } from '@tessera/client';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { cliPerFile } from './helpers/cli.js';
import { rejection } from './helpers/server.js';

const { cli, dataDir, withServer } = cliPerFile();

/** Django's pbkdf2_sha256 (format checked against Django's own vectors in foreign-hashes.test.ts). */
function djangoPbkdf2(password: string) {
  const salt = 'Ql7xN3wWm2Rk';
  return `pbkdf2_sha256$20000$${salt}$${pbkdf2Sync(password, salt, 20_000, 32, 'sha256').toString('base64')}`;
}

function file(name: string, text: string) {
  const path = join(dataDir(), name);
  writeFileSync(path, text);
  return path;
}

// Each case starts a process (and the server on the same database) on a shared, busy machine.
describe('tessera users import / export', { timeout: 180_000 }, () => {
  it('imports a Django dumpdata file: roles from is_superuser / is_staff, old passwords sign in', async () => {
    const staffHash = `bcrypt_sha256$${await bcryptHash(createHash('sha256').update('staff pw').digest('hex'), { cost: 4 })}`;
    const dump = [
      {
        model: 'auth.user',
        pk: 1,
        fields: {
          password: djangoPbkdf2('django admin pw'),
          is_superuser: true,
          is_staff: true,
          username: 'root',
          first_name: 'Ada',
          last_name: 'Admin',
          email: 'ada@django.example',
          is_active: true,
        },
      },
      {
        model: 'auth.user',
        pk: 2,
        fields: {
          password: staffHash,
          is_superuser: false,
          is_staff: true,
          username: 'sam',
          first_name: '',
          last_name: '',
          email: 'sam@django.example',
          is_active: true,
        },
      },
      {
        model: 'auth.user',
        pk: 3,
        fields: {
          password: '!unusableXYZ',
          is_superuser: false,
          is_staff: false,
          username: 'gone',
          first_name: 'Gone',
          last_name: 'Away',
          email: 'gone@django.example',
          is_active: false,
        },
      },
      {
        model: 'auth.user',
        pk: 4,
        fields: { password: djangoPbkdf2('x'), username: 'nomail', email: '', is_active: true },
      },
    ];
    const path = file('users.json', JSON.stringify(dump, null, 2));
    const result = await cli(['users', 'import', path]);
    expect(result.stdout).toMatch(/^Done: created 3, updated 0, skipped 0, rejected 1 of 4 rows\./);
    expect(result.code).toBe(1);
    const rejected = readFileSync(`${path}.rejected.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as object);
    expect(rejected).toEqual([expect.objectContaining({ row: 4, field: 'email', data: dump[3] })]);

    await withServer(async (client) => {
      const ada = await client().auth.login.mutate({
        email: 'ada@django.example',
        password: 'django admin pw',
      });
      expect(ada.user).toMatchObject({ name: 'Ada Admin', role: 'admin', disabled: false });
      const sam = await client().auth.login.mutate({ email: 'sam@django.example', password: 'staff pw' });
      expect(sam.user).toMatchObject({ name: 'sam', role: 'manager' });
      const gone = await client(ada.accessToken).users.list.query({ search: 'gone@django.example' });
      expect(gone.items[0]).toMatchObject({ name: 'Gone Away', role: 'user', disabled: true });
      expect(
        errorCode(
          await rejection(client().auth.login.mutate({ email: 'gone@django.example', password: 'x' })),
        ),
      ).toBe('UNAUTHORIZED');
    });
  });

  it('imports CSV (quoted cells, booleans) with --dry-run first, then for real, then again with --on-conflict skip', async () => {
    const bcrypt = await bcryptHash('csv password', { cost: 4 });
    const path = file(
      'users.csv',
      'email,name,role,passwordHash,emailVerified,disabled,locale\r\n' +
        `csv.one@example.com,"Doe, Jane",manager,${bcrypt},true,,fr\r\n` +
        'csv.two@example.com,"Say ""hi""",,,no,yes,\r\n' +
        'not-an-email,Broken,,,,,\r\n',
    );
    const dry = await cli(['users', 'import', path, '--dry-run']);
    expect(dry.stdout).toMatch(
      /^Dry run, nothing written: would have created 2, updated 0, skipped 0, rejected 1 of 3 rows/,
    );
    const real = await cli(['users', 'import', path, '--rejected', join(dataDir(), 'csv-rejects.jsonl')]);
    expect(real.stdout).toMatch(/^Done: created 2, updated 0, skipped 0, rejected 1 of 3 rows/);
    expect(existsSync(join(dataDir(), 'csv-rejects.jsonl'))).toBe(true);
    const again = await cli(['users', 'import', path, '--on-conflict', 'skip']);
    expect(again.stdout).toMatch(/^Done: created 0, updated 0, skipped 2, rejected 1 of 3 rows/);

    await withServer(async (client) => {
      const jane = await client().auth.login.mutate({
        email: 'csv.one@example.com',
        password: 'csv password',
      });
      expect(jane.user).toMatchObject({
        name: 'Doe, Jane',
        role: 'manager',
        emailVerified: true,
        disabled: false,
      });
    });
  });

  it('imports JSON Lines, a bad line rejected with its number', async () => {
    const path = file(
      'users.jsonl',
      `${JSON.stringify({ email: 'jsonl.one@example.com', name: 'Line One' })}\n{not json\n\n` +
        `${JSON.stringify({ email: 'jsonl.two@example.com', name: 'Line Two', disabled: true })}\n`,
    );
    const result = await cli(['users', 'import', path]);
    expect(result.stdout).toMatch(/^Done: created 2, updated 0, skipped 0, rejected 1 of 3 rows/);
    const rejected = JSON.parse(readFileSync(`${path}.rejected.jsonl`, 'utf8')) as object;
    expect(rejected).toMatchObject({ row: 2, field: 'row', message: 'Not valid JSON' });
  });

  it('exports every user to stdout as CSV or JSON Lines, never a hash', async () => {
    const csv = await cli(['users', 'export']);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\r\n')[0]).toBe(EXPORT_COLUMNS.join(','));
    expect(csv.stdout).not.toMatch(/pbkdf2|bcrypt|argon2/);
    const records = parse<Record<string, string>>(csv.stdout, { columns: true });
    expect(records.find((r) => r.email === 'csv.one@example.com')).toMatchObject({
      name: 'Doe, Jane',
      role: 'manager',
    });
    const jsonl = await cli(['users', 'export', '--format', 'jsonl']);
    const users = jsonl.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { email: string });
    expect(users.map((u) => u.email)).toEqual(records.map((r) => r.email));
  });

  it('answers wrong usage with exit code 2', async () => {
    const conflict = await cli(['users', 'import', 'x.csv', '--on-conflict', 'merge']);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/--on-conflict: one of skip, update, fail/);
    const format = await cli(['users', 'import', 'users.txt']);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/pass --format csv\|jsonl\|django/);
  });
});
