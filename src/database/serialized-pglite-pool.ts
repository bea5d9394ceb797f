import { EventEmitter } from 'node:events';
import { PGliteDriver, getPGliteInstance } from 'typeorm-pglite';
import type { PGlite } from '@electric-sql/pglite';

type QueryCallback = (err: Error | null, result?: unknown) => void;

/**
 * A pg-Pool lookalike over the one embedded PGlite session, handed to TypeORM's
 * postgres driver. PGlite is a single session: without this, two TypeORM query
 * runners would interleave statements inside each other's transactions. Here a
 * runner holds the session from connect() until release(), exactly like a pool of
 * size one, so transactions stay isolated.
 */
class SerializedPGlitePool extends EventEmitter {
  private tail: Promise<void> = Promise.resolve();

  connect(callback: (err: Error | null, client: unknown, release: (err?: unknown) => void) => void): void {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    previous
      .then(() => getPGliteInstance())
      .then((db) => callback(null, new PGliteClient(db), () => release()))
      .catch((error: Error) => {
        release();
        callback(error, null, () => undefined);
      });
  }

  end(callback?: (err: Error | null) => void): void {
    // Wait for the last holder to finish, then close the engine.
    this.tail
      .then(() => getPGliteInstance())
      .then((db) => db.close())
      .then(() => callback?.(null), (error: Error) => callback?.(error));
  }
}

class PGliteClient extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  query(text: string, paramsOrCallback?: unknown[] | QueryCallback, maybeCallback?: QueryCallback): Promise<unknown> {
    const callback = typeof paramsOrCallback === 'function' ? paramsOrCallback : maybeCallback;
    const params = Array.isArray(paramsOrCallback) ? paramsOrCallback : undefined;
    const run = params && params.length > 0
      ? this.db.query(text, params)
      : this.db.exec(text).then((results) => results[results.length - 1] ?? { rows: [], fields: [] });
    return run.then(
      (result) => {
        callback?.(null, result);
        return result;
      },
      (error: Error) => {
        callback?.(error);
        if (!callback) throw error;
      },
    );
  }
}

/** TypeORM `driver` option for the embedded engine persisted in dataDir ('memory://' for tests). */
export function createPGliteDriver(dataDir: string): unknown {
  // PGliteDriver's constructor registers the engine options (and its boolean
  // serializer) for the shared instance that getPGliteInstance() opens.
  new PGliteDriver({ dataDir });
  return { Pool: SerializedPGlitePool };
}
