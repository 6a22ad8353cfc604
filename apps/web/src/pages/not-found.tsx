import { Link } from '../router.js';
import { useDocumentTitle } from '../ui.js';

export function NotFoundPage() {
  useDocumentTitle('Page not found');
  return (
    <main className="page" id="main">
      <header className="page-header">
        <div>
          <h1>Page not found</h1>
          <p className="muted">There is nothing at this address.</p>
        </div>
      </header>
      <p>
        <Link href="/profile">Go to your profile</Link>
      </p>
    </main>
  );
}
