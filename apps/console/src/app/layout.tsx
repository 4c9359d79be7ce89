import type { ReactNode } from 'react';
import { useSession } from '../auth/session';
import { useNotifications, type ConnectionState } from '../notifications/notifications-provider';
import { Link, usePath } from './router';

/** Pages in the navigation; part 2 adds conversations and backups here. */
export const NAVIGATION = [
  {
    to: '/batches',
    label: 'Batches',
    matches: (path: string) => path === '/batches' || /^\/batches\/(?!new$)/.test(path),
  },
  { to: '/batches/new', label: 'New batch', matches: (path: string) => path === '/batches/new' },
];

const CONNECTION_LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  ended: 'Offline',
};

export function Layout({ children }: { children: ReactNode }) {
  const path = usePath();
  const { userId, signOut } = useSession();
  const { state } = useNotifications();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/batches" className="brand">
          Batch console
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAVIGATION.map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={item.matches(path) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="header-end">
          <span className={`connection connection-${state}`} role="status" title="Live updates over /ws">
            {CONNECTION_LABEL[state]}
          </span>
          {userId && <span className="muted">{userId}</span>}
          <button type="button" className="button button-small" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="app-main">
        {children}
      </main>
    </>
  );
}
