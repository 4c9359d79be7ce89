import { ApiError, createClient, type BatchClient } from '@batch/client';
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { useSession } from '../auth/session';
import { consoleFetch } from './console-fetch';

export const SIGNED_OUT_BY_401 = 'The gateway refused your token (expired or invalid). Sign in again.';

export interface Api {
  client: BatchClient;
  baseUrl: string;
  token: string;
  /**
   * A fetch with the bearer header, for what the typed client does not cover (downloads, error
   * details); a failure is thrown as the client's ApiError.
   */
  authorizedFetch: (path: string, init?: RequestInit) => Promise<Response>;
}

const ApiContext = createContext<Api | null>(null);

/** One REST client per token, on the page's own origin (the gateway serves the console). */
export function ApiProvider({ children }: { children: ReactNode }) {
  const { token, signOut } = useSession();
  const api = useMemo<Api | null>(() => {
    if (!token) return null;
    const baseUrl = window.location.origin;
    const fetchFn = consoleFetch({ onUnauthorized: () => signOut(SIGNED_OUT_BY_401) });
    return {
      client: createClient({ baseUrl, token, fetch: fetchFn }),
      baseUrl,
      token,
      authorizedFetch: async (path, init = {}) => {
        const response = await fetchFn(`${baseUrl}${path}`, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
        }).catch((error: unknown) => {
          throw new ApiError(0, 'unavailable', `cannot reach ${baseUrl}: ${String(error)}`);
        });
        if (!response.ok) throw await apiErrorOfResponse(response);
        return response;
      },
    };
  }, [token, signOut]);
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

/** The ApiError of a non-2xx answer read with a plain fetch (the typed client builds its own). */
export async function apiErrorOfResponse(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as {
      error: { code: ApiError['code']; message: string; details?: unknown };
    };
    return new ApiError(response.status, error.code, error.message, error.details);
  } catch {
    return new ApiError(
      response.status,
      response.status >= 500 ? 'internal' : 'bad_request',
      `HTTP ${response.status}`,
    );
  }
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi needs a signed-in session');
  return api;
}
