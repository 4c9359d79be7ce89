import { QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Toaster } from 'sonner';
import { ApiProvider } from '../api/api-context';
import { SessionProvider, useSession } from '../auth/session';
import { SignInPage } from '../auth/sign-in.page';
import { clearLiveBatches } from '../batches/live-batches';
import { ResumeDialogOnLoad } from '../batches/resume-dialog';
import { ErrorDetailsHost } from '../errors/error-details-host';
import { NotificationsProvider } from '../notifications/notifications-provider';
import { NotificationToasts } from '../notifications/notification-toasts-listener';
import { Layout } from './layout';
import { PageBoundary } from './page-boundary';
import { resolveRoute } from './pages';
import { createQueryClient } from './query-client';
import { Link, navigate, usePath } from './router';

export function App() {
  return (
    <SessionProvider>
      <Console />
      {/* Toasts stack without overlapping (expanded), newest on top; announced politely by sonner's live region. */}
      <Toaster position="bottom-right" expand visibleToasts={4} gap={10} containerAriaLabel="Notifications" />
    </SessionProvider>
  );
}

function Console() {
  const { token } = useSession();
  // A new client per session: nothing of the previous user's stays cached.
  const [queryClient, setQueryClient] = useState(createQueryClient);
  useEffect(() => {
    if (token) return;
    setQueryClient(createQueryClient());
    clearLiveBatches();
  }, [token]);

  if (!token) return <SignInPage />;
  return (
    <QueryClientProvider client={queryClient}>
      <ApiProvider>
        <NotificationsProvider>
          <NotificationToasts />
          <Layout>
            <CurrentPage />
          </Layout>
          <ResumeDialogOnLoad />
          <ErrorDetailsHost />
        </NotificationsProvider>
      </ApiProvider>
    </QueryClientProvider>
  );
}

function CurrentPage() {
  const path = usePath();
  useEffect(() => {
    if (path === '/' || path === '') navigate('/batches', { replace: true });
  }, [path]);
  const resolved = resolveRoute(path);
  useEffect(() => {
    document.title = `${resolved?.route.title ?? 'Not found'} · Batch console`;
  }, [resolved?.route.title]);
  if (path === '/' || path === '') return null;
  return (
    <PageBoundary resetKey={path}>
      {resolved ? (
        resolved.route.render(resolved.params)
      ) : (
        <section className="panel" aria-labelledby="not-found">
          <h1 id="not-found">Page not found</h1>
          <p>
            Nothing lives at <code>{path}</code>. <Link to="/batches">Go to the batches</Link>.
          </p>
        </section>
      )}
    </PageBoundary>
  );
}
