/**
 * Builds the settings page: src/web/app (TypeScript + Preact, JSX) and src/web/styles into
 * dist/web/assets/app.js and app.css with esbuild, and copies src/web/index.html beside them.
 * `npm run build` runs it after tsc; the Jest global setup calls ensureWebBundle(), which
 * rebuilds only when an input changed (a hash of every input file is kept in the output).
 *
 *   node dist/scripts/build-web.js          build now
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface WebBundle {
  outDir: string;
  hash: string;
  rebuilt: boolean;
}

/** The folder holding package.json, from scripts/ or dist/scripts/. */
export function repoRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'web'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`the repository root was not found above ${start}`);
    dir = up;
  }
}

export const webOutDir = (root: string): string => join(root, 'dist', 'web');

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.spec\.tsx?$/.test(name) ? [] : [path];
  });
}

/** A hash of everything the bundle is made of: sources, styles, the page, this script, the lock file. */
export function inputsHash(root: string): string {
  const hash = createHash('sha256');
  const inputs = [
    ...files(join(root, 'src', 'web', 'app')),
    ...files(join(root, 'src', 'web', 'styles')),
    join(root, 'src', 'web', 'index.html'),
    join(root, 'scripts', 'build-web.ts'),
    join(root, 'package-lock.json'),
  ].sort();
  for (const file of inputs) {
    if (!existsSync(file)) continue;
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

export async function buildWebBundle(root: string = repoRoot()): Promise<WebBundle> {
  // Required here, not imported at the top: the service never loads esbuild at run time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const outDir = webOutDir(root);
  const hash = inputsHash(root);
  // Built next to the output and swapped in, so a test run never serves a half-written file.
  const temp = `${outDir}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(join(temp, 'assets'), { recursive: true });
  await esbuild.build({
    entryPoints: { app: join(root, 'src', 'web', 'app', 'main.tsx') },
    bundle: true,
    outdir: join(temp, 'assets'),
    format: 'iife',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    sourcemap: false,
    logLevel: 'warning',
    tsconfig: join(root, 'src', 'web', 'app', 'tsconfig.json'),
  });
  copyFileSync(join(root, 'src', 'web', 'index.html'), join(temp, 'index.html'));
  writeFileSync(join(temp, 'build.json'), JSON.stringify({ hash, builtAt: new Date().toISOString() }, null, 2));
  rmSync(outDir, { recursive: true, force: true });
  renameSync(temp, outDir);
  return { outDir, hash, rebuilt: true };
}

/** Builds the bundle when it is missing or older than its inputs; otherwise leaves it. */
export async function ensureWebBundle(root: string = repoRoot()): Promise<WebBundle> {
  const outDir = webOutDir(root);
  const hash = inputsHash(root);
  try {
    const built = JSON.parse(readFileSync(join(outDir, 'build.json'), 'utf8')) as { hash?: string };
    if (built.hash === hash && existsSync(join(outDir, 'assets', 'app.js')) && existsSync(join(outDir, 'assets', 'app.css'))) {
      return { outDir, hash, rebuilt: false };
    }
  } catch {
    /* missing or unreadable: build */
  }
  return buildWebBundle(root);
}

if (require.main === module) {
  buildWebBundle()
    .then((b) => console.log(`settings page built into ${relative(process.cwd(), b.outDir) || '.'} (${b.hash})`))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
