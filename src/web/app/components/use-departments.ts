import { useEffect, useState } from 'preact/hooks';
import { isQuiet } from '../api';
import type { ErrorLike } from '../logic/errors';
import { useConsole } from '../store';
import type { Department, Page } from '../types';

/** Every department of the account (or of one portal), all pages; reloads after each import. */
export function useDepartments(connectionId?: string): { items: Department[] | null; error: ErrorLike | null } {
  const { api, dataVersion } = useConsole();
  const [items, setItems] = useState<Department[] | null>(null);
  const [error, setError] = useState<ErrorLike | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      const all: Department[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<Department> = await api.request<Page<Department>>('GET', '/departments', {
          query: { limit: 1000, ...(connectionId ? { connectionId } : {}), ...(cursor ? { cursor } : {}) },
          signal: controller.signal,
        });
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      setItems(all);
      setError(null);
    })().catch((e: unknown) => !isQuiet(e) && setError(e as ErrorLike));
    return () => controller.abort();
  }, [connectionId, dataVersion]);
  return { items, error };
}
