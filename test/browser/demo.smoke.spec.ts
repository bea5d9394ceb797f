/**
 * `npm run demo` smoke test: runs the compiled demo (dist/scripts/demo.js) on free ports
 * and a throw-away data folder, waits for what it prints, checks that the service is
 * healthy, that the printed key works, that connecting the printed portal address goes
 * through the OAuth redirect back to the printed page, and that Ctrl-C (SIGINT) stops
 * the demo and its service within 10 s.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/test-app';

const ROOT = resolve(__dirname, '..', '..');
const DEMO = join(ROOT, 'dist', 'scripts', 'demo.js');

interface Printed {
  pageUrl: string;
  key: string;
  portal: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with what the demo printed once it says it is running; rejects if it exits first. */
function waitForBanner(child: ChildProcess, output: { text: string }, timeoutMs: number): Promise<Printed> {
  return new Promise((resolvePrinted, reject) => {
    const timer = setTimeout(() => finish(new Error(`the demo printed no banner within ${timeoutMs / 1000} s:\n${output.text}`)), timeoutMs);
    const onData = () => {
      if (!/Ctrl-C stops/.test(output.text)) return;
      const pageUrl = /Settings page\s+(\S+)/.exec(output.text)?.[1];
      const key = /API key\s+(\S+)/.exec(output.text)?.[1];
      const portal = /Portal address\s+(\S+)/.exec(output.text)?.[1];
      if (pageUrl && key && portal) finish(null, { pageUrl, key, portal });
      else finish(new Error(`the banner lacks the page URL, key or portal address:\n${output.text}`));
    };
    const onExit = (code: number | null) => finish(new Error(`the demo exited (${code}) before it was ready:\n${output.text}`));
    const finish = (error: Error | null, printed?: Printed) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolvePrinted(printed!);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

describe('npm run demo (compiled dist/scripts/demo.js)', () => {
  let child: ChildProcess | null = null;
  let servicePid: number | null = null;
  let dataDir: string;
  let port: number;
  let simPort: number;
  const output = { text: '' };

  beforeAll(() => {
    if (!existsSync(DEMO)) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit', timeout: 170_000 });
  }, 180_000);

  afterAll(() => {
    // Only if a check failed before the orderly stop below.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (servicePid && alive(servicePid)) process.kill(servicePid, 'SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the page URL and a working key, connects the printed portal, and stops on Ctrl-C within 10 s', async () => {
    port = await freePort();
    do simPort = await freePort();
    while (simPort === port);
    dataDir = mkdtempSync(join(tmpdir(), 'b24sync-demo-'));
    child = spawn(process.execPath, [DEMO, '--port', String(port), '--sim-port', String(simPort), '--data-dir', dataDir, '--people', '120'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output.text += chunk.toString()));

    const printed = await waitForBanner(child, output, 60_000);
    expect(printed.pageUrl).toBe(`http://localhost:${port}/`);
    expect(printed.portal).toBe(`http://127.0.0.1:${simPort}`);
    expect(printed.key).toMatch(/^b24s_/);
    expect(output.text).toContain('Connect Bitrix24 → Data Access → Synchronize');
    servicePid = Number(readFileSync(join(dataDir, 'engine.pid'), 'utf8').trim()) || null;
    expect(servicePid && alive(servicePid)).toBe(true);

    const base = printed.pageUrl.replace(/\/$/, '');
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const me = await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${printed.key}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ accountName: 'Demo company', role: 'owner' });
    expect((await fetch(`${base}/api/v1/me`, { headers: { Authorization: 'Bearer b24s_wrong' } })).status).toBe(401);

    // The Connect button's round trip: the simulator sends the browser back to the printed host.
    const start = await fetch(`${base}/api/v1/bitrix24/oauth/start`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${printed.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ portal: printed.portal }),
    });
    expect(start.status).toBe(201);
    const { authorizeUrl } = (await start.json()) as { authorizeUrl: string };
    expect(authorizeUrl.startsWith(`${printed.portal}/oauth/authorize/`)).toBe(true);
    const authorize = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(authorize.status).toBe(302);
    const callbackUrl = authorize.headers.get('location')!;
    expect(callbackUrl.startsWith(`${base}/bitrix24/oauth/callback?`)).toBe(true);
    const callback = await fetch(callbackUrl, { redirect: 'manual' });
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toMatch(new RegExp(`^${base.replace(/[.]/g, '\\.')}/\\?connected=[0-9a-f-]{36}#connection$`));

    // Ctrl-C: the demo stops the service and the simulator, then exits.
    const exited = new Promise<{ code: number | null; signal: string | null; ms: number }>((r) => {
      const t0 = Date.now();
      child!.once('exit', (code, signal) => r({ code, signal, ms: Date.now() - t0 }));
    });
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 10_000)))]);
    clearTimeout(timer);
    expect(result).not.toBeNull();
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result!.ms).toBeLessThan(10_000);
    expect(alive(servicePid!)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    await expect(fetch(`${printed.portal}/oauth/authorize/`)).rejects.toThrow();
  }, 90_000);
});
