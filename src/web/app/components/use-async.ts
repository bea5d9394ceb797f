import { useEffect, useRef, useState } from 'preact/hooks';
import { isQuiet } from '../api';
import type { ErrorLike } from '../logic/errors';

export interface Loaded<T> {
  data: T | null;
  error: ErrorLike | null;
  loading: boolean;
  reload(): void;
}

/**
 * Loads something when `deps` change; an answer that arrives after newer deps is dropped, so
 * a slow old request never overwrites a newer one.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: ErrorLike | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const gen = ++generation.current;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    load(controller.signal).then(
      (data) => gen === generation.current && setState({ data, error: null, loading: false }),
      (error: unknown) => {
        if (gen !== generation.current || isQuiet(error)) return;
        setState((s) => ({ ...s, error: error as ErrorLike, loading: false }));
      },
    );
    return () => controller.abort();
    // The caller lists what the load depends on.
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

/** Calls `tick` every `ms` while `active`, backing off after failures; stops on unmount. */
export function usePoll(active: boolean, ms: number, tick: () => Promise<boolean>): void {
  const tickRef = useRef(tick);
  tickRef.current = tick;
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const run = async () => {
      if (stopped) return;
      let goOn = true;
      try {
        goOn = await tickRef.current();
        failures = 0;
      } catch (error) {
        if (isQuiet(error)) return;
        failures += 1;
      }
      if (!stopped && goOn) timer = setTimeout(run, Math.min(10_000, ms * 2 ** failures));
    };
    timer = setTimeout(run, ms);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, ms]);
}
