/** Arrives with the users and audit procedures. */
export function UsersPage() {
  return (
    <main className="page" id="main">
      <h1>Users</h1>
      <p className="muted">Coming soon.</p>
    </main>
  );
}
