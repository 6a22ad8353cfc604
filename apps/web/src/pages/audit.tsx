/** Arrives with the users and audit procedures. */
export function AuditPage() {
  return (
    <main className="page" id="main">
      <h1>Audit log</h1>
      <p className="muted">Coming soon.</p>
    </main>
  );
}
