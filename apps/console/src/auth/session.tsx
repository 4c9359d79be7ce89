import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import {
  claimsOf,
  clearToken,
  readToken,
  signedOutReason,
  storeToken,
  takeTokenFromLocation,
} from './token-store';

export interface Session {
  token: string | null;
  userId: string | null;
  /** Why the last session ended when the console ended it (a refused token). */
  signedOutReason: string | null;
  signIn(token: string): void;
  signOut(reason?: string): void;
}

const SessionContext = createContext<Session | null>(null);

function initialToken(): string | null {
  const fromLink = takeTokenFromLocation(window.location, window.history);
  if (fromLink) storeToken(fromLink);
  return readToken();
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState(initialToken);
  const [reason, setReason] = useState(signedOutReason);

  const signIn = useCallback((next: string) => {
    storeToken(next.trim());
    setReason(null);
    setToken(next.trim());
  }, []);

  const signOut = useCallback((why?: string) => {
    clearToken(why);
    setReason(why ?? null);
    setToken(null);
  }, []);

  const session = useMemo<Session>(
    () => ({
      token,
      userId: token ? (claimsOf(token)?.sub ?? null) : null,
      signedOutReason: reason,
      signIn,
      signOut,
    }),
    [token, reason, signIn, signOut],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
