import { Link } from '../router.js';
import { useTranslation } from 'react-i18next';
import { useDocumentTitle } from '../ui.js';

export function NotFoundPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('notFound.title'));
  return (
    <main className="page" id="main">
      <header className="page-header">
        <div>
          <h1>{t('notFound.title')}</h1>
          <p className="muted">{t('notFound.text')}</p>
        </div>
      </header>
      <p>
        <Link href="/profile">{t('common.goToProfile')}</Link>
      </p>
    </main>
  );
}
