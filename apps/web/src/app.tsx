import { can } from '@tessera/client';
import type { ReactNode } from 'react';
import { useSession, useUser } from '@tessera/react';
import { useTranslation } from 'react-i18next';
import { useFollowLocale } from './i18n/follow-locale.js';
import { LanguageSwitcher } from './i18n/language-switcher.js';
import { ApiKeysPage } from './pages/api-keys.js';
import { AuditPage } from './pages/audit.js';
import { ForgotPasswordPage } from './pages/forgot-password.js';
import { NotFoundPage } from './pages/not-found.js';
import { ProfilePage } from './pages/profile.js';
import { ResetPasswordPage } from './pages/reset-password.js';
import { SetUpSecondFactorPage } from './pages/set-up-second-factor.js';
import { SignInPage } from './pages/sign-in.js';
import { SignUpPage } from './pages/sign-up.js';
import { UsersPage } from './pages/users.js';
import { VerifyEmailPage } from './pages/verify-email.js';
import { WebhooksPage } from './pages/webhooks.js';
import { safeNext, type PrivatePath, type PublicPath } from './paths.js';
import { Link, Redirect, useLocation } from './router.js';
import {
  SecondFactorBanner,
  SET_UP_SECOND_FACTOR,
  useSecondFactorOwed,
  useSendRefusedToSetUp,
} from './security/required.js';
import { Loading, LoadError, Logo } from './ui.js';

/** Pages anyone may open (paths.ts lists them for the server too). */
const PUBLIC: Record<PublicPath, () => ReactNode> = {
  '/sign-in': () => <SignInPage />,
  '/sign-up': () => <SignUpPage />,
  '/forgot-password': () => <ForgotPasswordPage />,
  '/reset-password': () => <ResetPasswordPage />,
  '/verify-email': () => <VerifyEmailPage />,
};

/** Pages that need a signed-in user. */
const PRIVATE: Record<PrivatePath, () => ReactNode> = {
  '/profile': () => <ProfilePage />,
  '/admin/users': () => <UsersPage />,
  '/admin/audit': () => <AuditPage />,
  '/admin/api-keys': () => <ApiKeysPage />,
  '/admin/webhooks': () => <WebhooksPage />,
  '/set-up-second-factor': () => <SetUpSecondFactorPage />,
};

/** Signed-in users skip these and go to their profile. */
const SIGNED_OUT_ONLY = new Set(['/sign-in', '/sign-up']);

export function App() {
  const { state } = useSession();
  const { path, query } = useLocation();
  const owesSecondFactor = useSecondFactorOwed();
  useSendRefusedToSetUp();
  useFollowLocale();

  const publicPage = lookup(PUBLIC, path);
  if (publicPage) {
    if (state.status === 'signed-in' && SIGNED_OUT_ONLY.has(path))
      return <Redirect to={safeNext(query.get('next')) ?? '/profile'} />;
    return publicPage();
  }

  if (state.status === 'loading') return <FullPageLoading />;
  if (state.status === 'unreachable') return <Unreachable retry={state.retry} />;
  if (state.status === 'signed-out') {
    const next = path === '/' ? '' : `?next=${encodeURIComponent(path + window.location.search)}`;
    return <Redirect to={`/sign-in${next}`} />;
  }

  if (path === '/') return <Redirect to="/profile" />;
  // The server refuses such a person every other page's calls: straight to the set-up.
  if (owesSecondFactor && path !== SET_UP_SECOND_FACTOR) return <Redirect to={SET_UP_SECOND_FACTOR} />;
  const privatePage = lookup(PRIVATE, path);
  return <Shell>{privatePage ? privatePage() : <NotFoundPage />}</Shell>;
}

function lookup<P extends string>(pages: Record<P, () => ReactNode>, path: string) {
  return Object.hasOwn(pages, path) ? pages[path as P] : undefined;
}

function Shell({ children }: { children: ReactNode }) {
  const user = useUser();
  const { signOut } = useSession();
  const { path } = useLocation();
  const { t } = useTranslation();
  if (!user) return null;
  const links = [
    { href: '/profile', label: t('nav.profile'), show: true },
    { href: '/admin/users', label: t('nav.users'), show: can(user, 'users.list') },
    { href: '/admin/audit', label: t('nav.audit'), show: can(user, 'audit.read') },
    { href: '/admin/api-keys', label: t('nav.apiKeys'), show: can(user, 'apiKeys.manage') },
    { href: '/admin/webhooks', label: t('nav.webhooks'), show: can(user, 'webhooks.manage') },
  ].filter((link) => link.show);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('shell.skip')}
      </a>
      <header className="topbar">
        <Link href="/profile" className="brand">
          <Logo /> Tessera
        </Link>
        <nav aria-label={t('shell.mainNav')} className="nav">
          {links.map((link) => (
            <Link key={link.href} href={link.href} aria-current={path === link.href ? 'page' : undefined}>
              {link.label}
            </Link>
          ))}
        </nav>
        <div className="account">
          <LanguageSwitcher />
          <span className="account-name" title={user.email}>
            {user.name}
          </span>
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => void signOut()}
          >
            {t('shell.signOut')}
          </button>
        </div>
      </header>
      <SecondFactorBanner path={path} />
      {children}
    </div>
  );
}

function FullPageLoading() {
  const { t } = useTranslation();
  return (
    <main className="auth-page" id="main">
      <Loading label={t('shell.loadingAccount')} />
    </main>
  );
}

function Unreachable({ retry }: { retry: () => void }) {
  const { t } = useTranslation();
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <h1>{t('shell.unreachable')}</h1>
        <LoadError error={new Error('offline')} retry={retry} />
      </div>
    </main>
  );
}
