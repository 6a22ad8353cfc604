import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import type pg from 'pg';

/**
 * The hot-path queries (those built by `compileOnce`), sent to PostgreSQL as named prepared
 * statements: each connection parses and plans one once, then only binds new parameters.
 * Sent unnamed, as everything else is, the signed-in check's join was parsed and planned on
 * every request — 0.70 ms a query against 0.25–0.32 ms named, measured side by side here.
 *
 * A transaction pooler (PgBouncer before 1.21, or with `max_prepared_statements = 0`) cannot
 * carry a prepared statement from one transaction to the next, so by default each connection
 * first checks that it reaches PostgreSQL itself (see {@link reachesPostgresDirectly}) and
 * sends everything unnamed otherwise. DATABASE_PREPARED_STATEMENTS=true or false decides instead.
 */
const names = new Map<string, string>();

/** Marks `sql` as a hot query: from now on pools that prepare send it as a named statement. */
export function prepareByName(sql: string): void {
  if (!names.has(sql))
    names.set(sql, `tessera_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`);
}

/**
 * Makes every connection `pool` opens send the marked queries as named statements: always
 * (`true`), or when the connection reaches PostgreSQL directly (`'auto'`). Kysely calls
 * `client.query(sql, parameters)`; a marked text becomes `{ name, text, values }`, every
 * other call (cursors, `pool.query` with its callback) passes through untouched.
 */
export function prepareHotQueries(pool: pg.Pool, mode: true | 'auto'): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    // Queued on the new connection ahead of the query it was opened for.
    const named = mode === true ? Promise.resolve(true) : reachesPostgresDirectly(client, query);
    client.query = ((...args: unknown[]) => {
      const [text, values] = args;
      const name = typeof text === 'string' ? names.get(text) : undefined;
      if (name === undefined || !Array.isArray(values) || args.length !== 2) return query(...args);
      return named.then((yes) => (yes ? query({ name, text, values }) : query(text, values)));
    }) as typeof client.query;
  });
}

/**
 * Whether this connection's other end is PostgreSQL itself: the address and port the server
 * says it answers on are the ones the socket is connected to (or both ends are a Unix
 * socket). Through PgBouncer or any other proxy they differ: PostgreSQL sees the proxy's
 * connection, not ours. A port mapping (a container's published port) also differs, and only
 * costs the speed-up; a failed check does too.
 */
async function reachesPostgresDirectly(
  client: pg.PoolClient,
  query: (...args: unknown[]) => Promise<unknown>,
): Promise<boolean> {
  const socket = (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
  try {
    const { rows } = (await query(
      'select host(inet_server_addr()) as address, inet_server_port() as port',
    )) as { rows: { address: string | null; port: number | null }[] };
    const server = rows[0];
    if (!socket || !server) return false;
    if (server.address === null) return socket.remoteAddress === undefined; // Unix socket, both ends.
    const ours = socket.remoteAddress?.replace(/^::ffff:/, '');
    return ours === server.address.replace(/^::ffff:/, '') && socket.remotePort === server.port;
  } catch {
    return false;
  }
}
