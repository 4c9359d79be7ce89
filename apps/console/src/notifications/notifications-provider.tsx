import { connectNotifications, type Notification, type NotificationType } from '@batch/client';
import { useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { useApi } from '../api/api-context';
import { useSession } from '../auth/session';
import { applyBatchNotification } from '../batches/live-batches';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'ended';

type Listener = (notification: Notification) => void;

export interface NotificationsFilter {
  /** `batch:<id>`, `backup:<id>`...; all topics when left out. */
  topic?: string;
  type?: NotificationType;
}

export interface Notifications {
  state: ConnectionState;
  /** Calls `listener` for each notification that passes the filter; returns the unsubscribe. */
  listen(listener: Listener, filter?: NotificationsFilter): () => void;
}

const NotificationsContext = createContext<Notifications | null>(null);

export const SIGNED_OUT_BY_WS = 'The notifications server refused your token. Sign in again.';

/**
 * One WebSocket per signed-in page (`/ws`, topic `user`: every notification of the user's), shared
 * by every component through `listen`. Batch counts also go to the live batch store.
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { baseUrl, token } = useApi();
  const { signOut } = useSession();
  const queryClient = useQueryClient();
  const listeners = useRef(new Set<{ listener: Listener; filter: NotificationsFilter }>());
  const [state, setState] = useState<ConnectionState>('connecting');

  useEffect(() => {
    const socket = connectNotifications({
      baseUrl,
      token,
      topics: ['user'],
      pingIntervalMs: 25_000,
      onOpen: () => setState('open'),
      onReconnecting: () => setState('reconnecting'),
      onNotification: (notification) => {
        applyBatchNotification(notification);
        for (const { listener, filter } of listeners.current) {
          if (filter.topic !== undefined && filter.topic !== notification.topic) continue;
          if (filter.type !== undefined && filter.type !== notification.type) continue;
          listener(notification);
        }
      },
      // What was missed cannot be replayed: read the state again.
      onResync: () => void queryClient.invalidateQueries(),
      onEnd: (end) => {
        setState('ended');
        if (end.reason === 'unauthorized') signOut(SIGNED_OUT_BY_WS);
      },
    });
    return () => socket.close();
  }, [baseUrl, token, signOut, queryClient]);

  const listen = useCallback<Notifications['listen']>((listener, filter = {}) => {
    const entry = { listener, filter };
    listeners.current.add(entry);
    return () => void listeners.current.delete(entry);
  }, []);
  const notifications = useMemo<Notifications>(() => ({ state, listen }), [state, listen]);
  return <NotificationsContext.Provider value={notifications}>{children}</NotificationsContext.Provider>;
}

export function useNotifications(): Notifications {
  const notifications = useContext(NotificationsContext);
  if (!notifications) throw new Error('useNotifications outside NotificationsProvider');
  return notifications;
}

/** Runs `listener` for the notifications that pass `filter` while the component is shown. */
export function useNotificationListener(listener: Listener, filter: NotificationsFilter = {}): void {
  const { listen } = useNotifications();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  const { topic, type } = filter;
  useEffect(
    () => listen((notification) => latest.current(notification), { topic, type }),
    [listen, topic, type],
  );
}
