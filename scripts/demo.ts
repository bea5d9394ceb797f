/**
 * `npm run demo`: the whole product on a laptop, no Bitrix24 account needed.
 *
 *   1. starts the Bitrix24 portal simulator (a few hundred realistic people) on --sim-port;
 *   2. wipes the demo data folder and creates a demo account with the CLI (its owner key);
 *   3. starts the service (`node dist/src/main.js`) on the embedded database in that folder;
 *   4. posts ONAPPINSTALL to the service, as Bitrix24 does when the app is installed;
 *   5. prints the page's address, the key and the portal address to connect.
 *
 * Options: --port 3000, --sim-port 4100, --people 300, --seed 1, --data-dir .data/demo,
 * --new-hire-every SECONDS (a new person joins the portal and ONUSERADD is sent), --logs
 * (mirror the service's log lines here; they always go to <data-dir>/service.log).
 * Ctrl-C stops the service and the simulator.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Bitrix24User } from '../src/bitrix24/bitrix24-user';
import { generatePortal } from '../test/simulator/people-generator';
import { PortalSimulator } from '../test/simulator/portal-simulator';

const USAGE = `Usage: npm run demo -- [options]

  --port N              the service's port (default 3000)
  --sim-port N          the Bitrix24 simulator's port (default 4100)
  --people N            people on the simulated portal (default 300)
  --seed N              generator seed: the same seed gives the same people (default 1)
  --data-dir DIR        the demo's data folder, wiped at start (default .data/demo)
  --new-hire-every S    every S seconds a new person joins the portal and Bitrix24 sends ONUSERADD
  --logs                also print the service's log lines here (always in <data-dir>/service.log)
  --help                this text`;

const CLIENT_ID = 'app.b24sync.demo';
/** Marks a folder this script created, so it never wipes anything else. */
const MARKER = '.b24sync-demo';

interface Options {
  port: number;
  simPort: number;
  people: number;
  seed: number;
  dataDir: string;
  newHireEvery: number | null;
  logs: boolean;
}

/** The folder holding package.json, from dist/scripts or scripts. */
function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${__dirname}`);
    dir = up;
  }
}

function parseOptions(argv: string[], root: string): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      'sim-port': { type: 'string' },
      people: { type: 'string' },
      seed: { type: 'string' },
      'data-dir': { type: 'string' },
      'new-hire-every': { type: 'string' },
      logs: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, text: string | undefined, fallback: number, min: number, max: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`);
    return n;
  };
  const options: Options = {
    port: int('port', values.port, 3000, 1, 65535),
    simPort: int('sim-port', values['sim-port'], 4100, 1, 65535),
    people: int('people', values.people, 300, 1, 100_000),
    seed: int('seed', values.seed, 1, 0, 2 ** 31),
    dataDir: resolve(root, values['data-dir'] ?? join('.data', 'demo')),
    newHireEvery: values['new-hire-every'] === undefined ? null : int('new-hire-every', values['new-hire-every'], 60, 1, 86_400),
    logs: Boolean(values.logs),
  };
  if (options.port === options.simPort) throw new UsageError('--port and --sim-port must differ');
  return options;
}

class UsageError extends Error {}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Empties the demo folder (only one this script made) and marks it as ours. */
function freshDataDir(dir: string): void {
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length && !entries.includes(MARKER)) {
      throw new UsageError(`${dir} is not empty and was not made by the demo; refusing to wipe it. Pick another --data-dir.`);
    }
    for (const name of ['demo.pid', 'engine.pid']) {
      const pid = readPid(join(dir, name));
      if (pid && pid !== process.pid && pidAlive(pid)) {
        throw new UsageError(`${dir} is in use by process ${pid} (another demo?). Stop it first, or pass another --data-dir.`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MARKER), 'Created by scripts/demo.ts; wiped by every `npm run demo`.\n');
  writeFileSync(join(dir, 'demo.pid'), String(process.pid));
}

function assertPortFree(port: number, what: string, flag: string): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(error.code === 'EADDRINUSE' ? `Port ${port} (${what}) is in use; pick another with ${flag}.` : `Port ${port} (${what}): ${error.message}`)),
    );
    server.listen(port, () => server.close(() => resolvePort()));
  });
}

/** The service's environment: a complete, self-contained demo configuration. */
function serviceEnv(options: Options, sim: PortalSimulator, clientSecret: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(options.port),
    PUBLIC_URL: `http://localhost:${options.port}`,
    DATA_DIR: options.dataDir,
    // The embedded engine, whatever a developer's .env says (an empty value counts as unset).
    DATABASE_URL: '',
    TOKEN_ENCRYPTION_KEY: '',
    TOKEN_ENCRYPTION_PREVIOUS_KEYS: '',
    BITRIX24_CLIENT_ID: CLIENT_ID,
    BITRIX24_CLIENT_SECRET: clientSecret,
    BITRIX24_OAUTH_SERVERS: sim.serverDomain,
    BITRIX24_ALLOW_INSECURE: 'true',
    SYNC_INTERVAL_MINUTES: '30',
    SYNC_SCHEDULER_ENABLED: 'true',
    LOG_LEVEL: 'info',
  };
}

/** Runs the CLI against the demo's data folder; returns the owner key (its last stdout line). */
function createDemoAccount(root: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolveKey, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'account:create', '--name', 'Demo company'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const key = stdout.trim().split('\n').pop()?.trim() ?? '';
      if (code === 0 && key) resolveKey(key);
      else reject(new Error(`account:create failed (exit ${code}):\n${(stderr || stdout).trim()}`));
    });
  });
}

async function waitForHealth(url: string, service: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.exitCode !== null || service.signalCode !== null) throw new Error(`the service exited (${service.exitCode ?? service.signalCode}) during start-up`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the service did not become healthy within ${timeoutMs / 1000} s`);
}

/** People who will "join" the portal later: realistic, complete, with addresses nobody has yet. */
function newHirePool(sim: PortalSimulator, seed: number): () => Partial<Bitrix24User> {
  const pool = generatePortal({ seed: seed + 7919, people: 400 }).users.filter(
    (u) => u.ID !== '1' && u.ACTIVE === true && u.USER_TYPE === 'employee' && u.LAST_NAME && typeof u.EMAIL === 'string' && /^[^\s@A-Z]+@[a-z0-9.-]+\.[a-z]+$/.test(u.EMAIL),
  );
  const departments = sim.departments.map((d) => Number(d.ID));
  let next = 0;
  return () => {
    const base = pool[next++ % pool.length];
    const taken = new Set(sim.users.map((u) => String(u.EMAIL ?? '').trim().toLowerCase()));
    const [local, domain] = String(base.EMAIL).split('@');
    let email = `${local}@${domain}`;
    for (let n = 2; taken.has(email); n++) email = `${local}${n}@${domain}`;
    const now = new Date();
    const { ID: _id, LAST_LOGIN: _login, ...fields } = base as Bitrix24User & { LAST_LOGIN?: string };
    return {
      ...fields,
      EMAIL: email,
      DATE_REGISTER: now.toISOString().replace(/\.\d+Z$/, '+00:00'),
      UF_EMPLOYMENT_DATE: now.toISOString().slice(0, 10),
      UF_DEPARTMENT: [departments[next % departments.length] ?? 1],
    };
  };
}

async function main(): Promise<void> {
  const root = repoRoot();
  const options = parseOptions(process.argv.slice(2), root);
  for (const file of ['dist/src/main.js', 'dist/src/cli/main.js']) {
    if (!existsSync(join(root, file))) throw new UsageError(`${file} is missing: run "npm run build" first (npm run demo does it).`);
  }
  await assertPortFree(options.port, 'service', '--port');
  await assertPortFree(options.simPort, 'Bitrix24 simulator', '--sim-port');
  freshDataDir(options.dataDir);
  const shownDir = relative(process.cwd(), options.dataDir) || '.';

  const pageUrl = `http://localhost:${options.port}`;
  const localUrl = `http://127.0.0.1:${options.port}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const sim = await PortalSimulator.start({
    port: options.simPort,
    people: options.people,
    seed: options.seed,
    clientId: CLIENT_ID,
    clientSecret,
    // The service redirects to PUBLIC_URL after the callback: same host name as the page,
    // so the browser keeps its signed-in tab (sessionStorage is per origin).
    redirectUri: `${pageUrl}/bitrix24/oauth/callback`,
  });

  let service: ChildProcess | null = null;
  let log: WriteStream | null = null;
  let newHireTimer: NodeJS.Timeout | null = null;
  let stopping: Promise<void> | null = null;
  const recent: string[] = [];

  const stop = (code: number): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (newHireTimer) clearInterval(newHireTimer);
      const child = service;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
        await exited;
        clearTimeout(timer);
      }
      await sim.stop().catch(() => undefined);
      await new Promise<void>((r) => (log ? log.end(() => r()) : r()));
      rmSync(join(options.dataDir, 'demo.pid'), { force: true });
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => {
    if (stopping) {
      // A second Ctrl-C: do not wait any longer.
      if (service && service.exitCode === null && service.signalCode === null) service.kill('SIGKILL');
      process.exit(130);
    }
    process.stdout.write('\nStopping the demo…\n');
    void stop(0);
  });
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGHUP', () => void stop(0));
  // Never leave the service behind, whatever ends this process.
  process.on('exit', () => {
    if (service && service.exitCode === null && service.signalCode === null) service.kill('SIGKILL');
  });

  try {
    const env = serviceEnv(options, sim, clientSecret);
    process.stdout.write(`Creating the demo account in ${shownDir}…\n`);
    const key = await createDemoAccount(root, env);

    process.stdout.write(`Starting the service on port ${options.port}…\n`);
    log = createWriteStream(join(options.dataDir, 'service.log'));
    // Its own process group: Ctrl-C reaches this script only, which stops the service once, cleanly.
    service = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const keep = (chunk: Buffer) => {
      log?.write(chunk);
      if (options.logs) process.stderr.write(chunk);
      recent.push(...chunk.toString().split('\n').filter(Boolean));
      recent.splice(0, Math.max(0, recent.length - 20));
    };
    service.stdout!.on('data', keep);
    service.stderr!.on('data', keep);
    service.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`\nThe service stopped unexpectedly (${code ?? signal}). Last log lines:\n${recent.join('\n')}\n`);
      void stop(1);
    });
    await waitForHealth(localUrl, service, 60_000);

    // Bitrix24 posts ONAPPINSTALL when the application is installed on the portal.
    const installed = await sim.postInstall(`${localUrl}/bitrix24/install`);
    if (installed !== 200) process.stderr.write(`Warning: the service answered ${installed} to ONAPPINSTALL; see ${shownDir}/service.log\n`);

    if (options.newHireEvery) {
      const nextHire = newHirePool(sim, options.seed);
      newHireTimer = setInterval(() => {
        const user = sim.addUser(nextHire());
        const who = `${user.LAST_NAME} ${user.NAME} (Bitrix24 #${user.ID})`;
        sim.fireOnUserAdd(user.ID).then(
          (statuses) =>
            process.stdout.write(
              statuses.length
                ? `[${new Date().toLocaleTimeString()}] New hire in Bitrix24: ${who} — ONUSERADD answered ${statuses.join(', ')}\n`
                : `[${new Date().toLocaleTimeString()}] New hire in Bitrix24: ${who} — no event handler yet (connect the portal); the next sync imports them\n`,
            ),
          (error: unknown) => process.stderr.write(`ONUSERADD for ${who} failed: ${error instanceof Error ? error.message : String(error)}\n`),
        );
      }, options.newHireEvery * 1000);
    }

    const line = (label: string, value: string) => `  ${label.padEnd(18)}${value}`;
    process.stdout.write(
      [
        '',
        'b24-employee-sync demo is running',
        '',
        line('Settings page', `${pageUrl}/`),
        line('API key', key),
        line('Portal address', `${sim.baseUrl}   (type it in Connection → Connect Bitrix24)`),
        '',
        '  Next: sign in with the key → Connect Bitrix24 → Data Access → Synchronize',
        '',
        line('Simulated portal', `${sim.users.length} people in ${sim.departments.length} departments (seed ${options.seed})${options.newHireEvery ? `, a new hire every ${options.newHireEvery} s` : ''}`),
        line('API docs', `${pageUrl}/docs`),
        line('Service log', join(shownDir, 'service.log')),
        '',
        'Ctrl-C stops the service and the simulator.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    process.stderr.write(`Demo start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
    if (recent.length) process.stderr.write(`Last service log lines:\n${recent.join('\n')}\n`);
    await stop(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof UsageError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  if (error instanceof UsageError) process.stderr.write(`\n${USAGE}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
