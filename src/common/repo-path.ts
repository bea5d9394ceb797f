import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * A file or folder of the repository (e.g. 'dist/web', 'migrations'), found from
 * wherever this code runs: src/… under ts-jest, or dist/src/… after tsc (which copies
 * no assets). Walks up from `start` to the first folder holding package.json and the path.
 */
export function findInRepo(relative: string, start: string = __dirname): string {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, relative);
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${relative} was not found in any folder above ${start}`);
    dir = parent;
  }
}
