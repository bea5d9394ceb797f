import { useEffect, useRef, useState } from 'preact/hooks';
import { isQuiet } from '../api';
import type { ErrorLike } from '../logic/errors';

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

export interface Action {
  busy: boolean;
  error: ErrorLike | null;
  setError(error: ErrorLike | null): void;
  /**
   * Runs `work` with `busy` set and returns its result; an error is kept in `error` (a
   * signed-out 401 or a cancel is not) and gives undefined. Ask for confirmation before, not
   * inside: the button is disabled while busy, and the dialog gives focus back to it.
   */
  run<T>(work: () => Promise<T>): Promise<T | undefined>;
}

/** One user action (a button, a form): busy while it runs, its error shown next to it. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorLike | null>(null);
  const run = async <T,>(work: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await work();
    } catch (e) {
      if (!isQuiet(e)) setError(e as ErrorLike);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
