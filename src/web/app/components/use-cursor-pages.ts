import { useEffect, useRef, useState } from 'preact/hooks';
import { isQuiet } from '../api';
import type { ErrorLike } from '../logic/errors';
import type { Page } from '../types';

export interface CursorPages<T> {
  items: T[];
  /** The API's nextCursor: null when the last page is shown. */
  cursor: string | null;
  loading: boolean;
  error: ErrorLike | null;
  /** From the start (null) or after the given cursor ("Load more"). */
  load(from: string | null): Promise<void>;
}

/**
 * A cursor-paginated API list (`{ items, nextCursor }`): the first page whenever `deps`
 * change, "Load more" appends. Only the latest request's answer is shown, so a slow page of
 * the previous filters never lands on top of the new ones. `fetchPage` answers null when
 * there is nothing to ask (a filter the page refused): the list stays as it is.
 */
export function useCursorPages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>> | null, deps: unknown[]): CursorPages<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ErrorLike | null>(null);
  const generation = useRef(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const load = async (from: string | null) => {
    const request = fetchRef.current(from ?? undefined);
    if (!request) return;
    const gen = ++generation.current;
    setLoading(true);
    setError(null);
    try {
      const page = await request;
      if (gen !== generation.current) return;
      setItems((list) => (from ? [...list, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (e) {
      if (gen === generation.current && !isQuiet(e)) setError(e as ErrorLike);
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  };
  useEffect(() => {
    void load(null);
  }, deps);
  return { items, cursor, loading, error, load };
}
