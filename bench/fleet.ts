/**
 * `npm run bench -- --fleet`: a fleet of portals per replica (issue 12, finding 3). The
 * simulator hosts many portals (one PortalSimulator each: its own address, member_id, tokens
 * and leaky bucket, left on), all due at once; the service runs them on its own scheduler, as
 * in production, with one replica and then with two. Measured per replica count: the first
 * import of every portal, then an unchanged cycle (everybody due again), each from the moment
 * the replicas are up until the last portal's run succeeded. See bench/README.md, "Fleet".
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { TokenCipher, parseKey } from '../src/common/crypto/token-cipher';
import { PortalSimulator } from '../test/simulator/portal-simulator';
import { freePort } from '../test/support/free-port';
import { recreateDatabase } from './database';
import { cpuMs, machineCpuMs, postgresCpuMs, round1 } from './proc';
import { ServiceProcess, sleep } from './service-process';

const CLIENT_ID = 'app.bench.fleet';
const CLIENT_SECRET = 'bench-fleet-client-secret';
const ENCRYPTION_KEY = Buffer.alloc(32, 12).toString('base64');
/** Give up on a phase after this long (the target is 5 minutes). */
const PHASE_LIMIT_MS = 20 * 60_000;

export interface FleetOptions {
  root: string;
  databaseUrl: string;
  portals: number;
  /** Replica counts to measure, e.g. [1, 2]. */
  replicas: number[];
  accounts: number;
  minPeople: number;
  maxPeople: number;
  seed: number;
  logDir: string;
  nodeArgs: string[];
  extraEnv: Record<string, string>;
  verbose: boolean;
}

export interface FleetPhase {
  phase: 'first_import' | 'unchanged_cycle';
  replicas: number;
  portals: number;
  people: number;
  /** From the replicas being up (or everybody due again) to the last run succeeded. */
  wallMs: number;
  succeeded: number;
  failed: number;
  failures: Record<string, number>;
  /** Queued → started, per portal: the longest anyone waited for a slot, and the median. */
  maxWaitMs: number;
  medianWaitMs: number;
  /** Run durations (started → finished). */
  medianRunMs: number;
  maxRunMs: number;
  /** Portals whose run started after the interval (one cycle) was over: must be 0. */
  waitedMoreThanOneCycle: number;
  portalsPerMinute: number;
  bitrix24Requests: number;
  rateLimited503: number;
  /** CPU milliseconds during the phase, and as cores on average (wall-normalized). */
  cpu: { services: number; simulatorsAndBench: number; postgres: number; other: number; ioWait: number };
  cores: { services: number; simulatorsAndBench: number; postgres: number; other: number };
  notes: string[];
}

export interface FleetReport {
  settings: Omit<FleetOptions, 'root' | 'logDir' | 'nodeArgs' | 'extraEnv' | 'verbose'> & { concurrency: string; poolSize: string; intervalMinutes: number };
  simulatorsReadyMs: number;
  phases: FleetPhase[];
  /** Wall of the two-replica phase ÷ the one-replica phase, per phase. */
  ratios: Record<string, number | null>;
}

/** A small deterministic generator (mulberry32) for portal sizes. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runFleet(options: FleetOptions): Promise<FleetReport> {
  const say = (text: string) => options.verbose && process.stderr.write(`  [fleet] ${text}\n`);
  const next = random(options.seed);
  const sizes = Array.from({ length: options.portals }, () => options.minPeople + Math.floor(next() * (options.maxPeople - options.minPeople + 1)));
  const started = Date.now();
  const sims: PortalSimulator[] = [];
  for (let i = 0; i < sizes.length; i++) {
    // Each portal: its own listener (address), member_id, token store and leaky bucket (2/s, burst 50).
    sims.push(await PortalSimulator.start({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, people: sizes[i], seed: options.seed * 100_003 + i }));
  }
  const simulatorsReadyMs = Date.now() - started;
  const people = sims.reduce((sum, s) => sum + s.users.length, 0);
  say(`${sims.length} simulated portals, ${people.toLocaleString('en-US')} people, ready in ${simulatorsReadyMs} ms`);
  const intervalMinutes = Number(options.extraEnv.SYNC_INTERVAL_MINUTES ?? 30);
  const phases: FleetPhase[] = [];
  try {
    for (const replicas of options.replicas) {
      await recreateDatabase(options.databaseUrl);
      const env = await serviceEnv(options, sims);
      await migrate(options, env);
      const db = new Client({ connectionString: options.databaseUrl });
      await db.connect();
      const services: ServiceProcess[] = [];
      try {
        await seedFleet(db, sims, options.accounts);
        for (const sim of sims) sim.resetStats();
        mkdirSync(options.logDir, { recursive: true });
        for (let r = 0; r < replicas; r++) {
          const port = await freePort();
          services.push(
            await ServiceProcess.start({
              root: options.root,
              port,
              env: { ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
              nodeArgs: options.nodeArgs,
              logFile: join(options.logDir, `service-fleet-${options.portals}-r${replicas}-${r + 1}.log`),
            }),
          );
        }
        say(`${replicas} replica(s) up: pids ${services.map((s) => s.pid).join(', ')}`);
        phases.push(await measurePhase('first_import', db, services, sims, people, intervalMinutes, say));
        // The next cycle: everybody due again at once, nothing changed on the portals.
        await sleep(Math.ceil((maxRequestsOfAnyPortal(sims) / 2) * 1000)); // let the portals' buckets drain (2/s), as 30 minutes would
        for (const sim of sims) sim.resetStats();
        await db.query(`UPDATE bitrix24_connection SET next_sync_at = now()`);
        phases.push(await measurePhase('unchanged_cycle', db, services, sims, people, intervalMinutes, say));
      } finally {
        await Promise.all(services.map((s) => s.stop()));
        await db.end();
      }
    }
  } finally {
    await Promise.all(sims.map((s) => s.stop()));
  }
  const wall = (phase: FleetPhase['phase'], replicas: number) => phases.find((p) => p.phase === phase && p.replicas === replicas)?.wallMs ?? null;
  const ratio = (phase: FleetPhase['phase']) => {
    const one = wall(phase, 1);
    const two = wall(phase, 2);
    return one && two ? Math.round((two / one) * 100) / 100 : null;
  };
  return {
    settings: {
      databaseUrl: options.databaseUrl,
      portals: options.portals,
      replicas: options.replicas,
      accounts: options.accounts,
      minPeople: options.minPeople,
      maxPeople: options.maxPeople,
      seed: options.seed,
      concurrency: options.extraEnv.SYNC_CONCURRENCY ?? 'default',
      poolSize: options.extraEnv.DATABASE_POOL_SIZE ?? 'default',
      intervalMinutes,
    },
    simulatorsReadyMs,
    phases,
    ratios: { first_import: ratio('first_import'), unchanged_cycle: ratio('unchanged_cycle') },
  };
}

function maxRequestsOfAnyPortal(sims: PortalSimulator[]): number {
  return sims.reduce((max, s) => Math.max(max, s.stats.restRequests), 0);
}

async function serviceEnv(options: FleetOptions, sims: PortalSimulator[]): Promise<Record<string, string>> {
  return {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATABASE_URL: options.databaseUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'b24-bench-fleet-')),
    TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY,
    BITRIX24_ALLOW_INSECURE: 'true',
    BITRIX24_CLIENT_ID: CLIENT_ID,
    BITRIX24_CLIENT_SECRET: CLIENT_SECRET,
    // Every portal is its own authorization server here (a refresh goes back to it).
    BITRIX24_OAUTH_SERVERS: sims.map((s) => s.serverDomain).join(','),
    // Production scheduling: the replicas claim what is due on their own.
    SYNC_SCHEDULER_ENABLED: 'true',
    ...options.extraEnv,
  };
}

async function migrate(options: FleetOptions, env: Record<string, string>): Promise<void> {
  await promisify(execFile)(process.execPath, [join(options.root, 'dist/src/database/migrate.cli.js'), 'run'], {
    cwd: options.root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
  });
}

/**
 * Accounts and connections straight into the database, as a completed OAuth connect leaves
 * them (tokens sealed with the service's key, issued by each portal): a thousand OAuth dances
 * would measure the connect flow, not the fleet. Everybody is due now.
 */
async function seedFleet(db: Client, sims: PortalSimulator[], accounts: number): Promise<void> {
  const cipher = new TokenCipher(parseKey(ENCRYPTION_KEY));
  const { rows } = await db.query<{ id: string }>(`INSERT INTO account (name) SELECT 'Fleet account ' || g FROM generate_series(1, $1::int) g RETURNING id`, [accounts]);
  for (let start = 0; start < sims.length; start += 200) {
    const slice = sims.slice(start, start + 200).map((sim, i) => {
      const tokens = sim.issueTokens();
      return [rows[(start + i) % rows.length].id, sim.memberId, sim.domain, sim.clientEndpoint, sim.serverEndpoint, tokens.scope, cipher.seal(tokens.access_token), cipher.seal(tokens.refresh_token), new Date(tokens.expires * 1000), tokens.user_id];
    });
    await db.query(
      `INSERT INTO bitrix24_connection (account_id, member_id, auth_type, domain, client_endpoint, server_endpoint, scope, app_status,
                                        access_token_enc, refresh_token_enc, access_expires_at, refreshed_at, bitrix24_user_id, state, bound_at, next_sync_at)
       SELECT (v->>0)::uuid, v->>1, 'oauth', v->>2, v->>3, v->>4, v->>5, 'F', v->>6, v->>7, (v->>8)::timestamptz, now(), (v->>9)::int, 'active', now(), now()
         FROM jsonb_array_elements($1::jsonb) v`,
      [JSON.stringify(slice)],
    );
  }
}

interface RunRow {
  connection_id: string;
  status: string;
  error_code: string | null;
  wait_ms: number;
  run_ms: number | null;
  started_late: boolean;
}

async function measurePhase(
  phase: FleetPhase['phase'],
  db: Client,
  services: ServiceProcess[],
  sims: PortalSimulator[],
  people: number,
  intervalMinutes: number,
  say: (text: string) => void,
): Promise<FleetPhase> {
  const t0 = Date.now();
  const [{ since }] = (await db.query<{ since: Date }>(`SELECT min(next_sync_at) AS since FROM bitrix24_connection`)).rows;
  const cpu0 = { services: services.map((s) => cpuMs(s.pid)), bench: process.cpuUsage(), pg: postgresCpuMs(), machine: machineCpuMs() };
  const portals = sims.length;
  let done = { succeeded: 0, failed: 0 };
  let lastSaid = 0;
  for (;;) {
    const { rows } = await db.query<{ succeeded: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE status = 'failed')::int AS failed
         FROM sync_run WHERE trigger = 'schedule' AND queued_at >= $1`,
      [since],
    );
    done = rows[0];
    if (done.succeeded + done.failed >= portals || Date.now() - t0 > PHASE_LIMIT_MS) break;
    if (Date.now() - lastSaid > 10_000) {
      say(`${phase}: ${done.succeeded} of ${portals} succeeded, ${done.failed} failed after ${Math.round((Date.now() - t0) / 1000)} s`);
      lastSaid = Date.now();
    }
    await sleep(250);
  }
  const wallMs = Date.now() - t0;
  const bench = process.cpuUsage(cpu0.bench);
  const machine = machineCpuMs();
  const cpu = {
    services: Math.round(services.reduce((sum, s, i) => sum + cpuMs(s.pid) - cpu0.services[i], 0)),
    simulatorsAndBench: Math.round((bench.user + bench.system) / 1000),
    postgres: Math.round(postgresCpuMs() - cpu0.pg),
    other: 0,
    ioWait: Math.round(machine.ioWait - cpu0.machine.ioWait),
  };
  cpu.other = Math.max(0, Math.round(machine.busy - cpu0.machine.busy - cpu.services - cpu.simulatorsAndBench - cpu.postgres));
  const { rows: runs } = await db.query<RunRow>(
    `SELECT r.connection_id, r.status, r.error_code,
            (extract(epoch FROM coalesce(r.started_at, now()) - $1::timestamptz) * 1000)::float8 AS wait_ms,
            (extract(epoch FROM r.finished_at - r.started_at) * 1000)::float8 AS run_ms,
            coalesce(r.started_at, now()) > $1::timestamptz + make_interval(mins => $2::int) AS started_late
       FROM sync_run r WHERE r.trigger = 'schedule' AND r.queued_at >= $1`,
    [since, intervalMinutes],
  );
  const waits = runs.map((r) => r.wait_ms).sort((a, b) => a - b);
  const durations = runs.filter((r) => r.run_ms !== null).map((r) => r.run_ms!).sort((a, b) => a - b);
  const failures: Record<string, number> = {};
  for (const r of runs) if (r.status === 'failed') failures[r.error_code ?? 'unknown'] = (failures[r.error_code ?? 'unknown'] ?? 0) + 1;
  const stats = sims.map((s) => s.stats);
  const notes: string[] = [];
  if (done.succeeded < portals) notes.push(`${portals - done.succeeded} portals did not succeed within ${Math.round(wallMs / 1000)} s`);
  if (cpu.other > wallMs * 0.25) notes.push(`machine busy: other processes used ${(cpu.other / wallMs).toFixed(2)} cores on average; the timing is pessimistic`);
  for (const service of services) {
    const problems = service.problemsSince(0).filter((l) => l.msg !== 'sync run failed');
    if (problems.length) notes.push(`service ${service.pid}: ${problems.length} warnings/errors, e.g. ${String(problems[0].msg)}`);
  }
  const cores = (ms: number) => round1(ms / wallMs);
  const result: FleetPhase = {
    phase,
    replicas: services.length,
    portals,
    people,
    wallMs,
    succeeded: done.succeeded,
    failed: done.failed,
    failures,
    maxWaitMs: Math.round(waits[waits.length - 1] ?? 0),
    medianWaitMs: Math.round(waits[Math.floor(waits.length / 2)] ?? 0),
    medianRunMs: Math.round(durations[Math.floor(durations.length / 2)] ?? 0),
    maxRunMs: Math.round(durations[durations.length - 1] ?? 0),
    waitedMoreThanOneCycle: runs.filter((r) => r.started_late).length + Math.max(0, portals - runs.length),
    portalsPerMinute: Math.round((done.succeeded / (wallMs / 60_000)) * 10) / 10,
    bitrix24Requests: stats.reduce((sum, s) => sum + s.restRequests, 0),
    rateLimited503: stats.reduce((sum, s) => sum + s.sent503, 0),
    cpu,
    cores: { services: cores(cpu.services), simulatorsAndBench: cores(cpu.simulatorsAndBench), postgres: cores(cpu.postgres), other: cores(cpu.other) },
    notes,
  };
  say(`${phase}, ${services.length} replica(s): ${done.succeeded}/${portals} in ${(wallMs / 1000).toFixed(1)} s (max wait ${(result.maxWaitMs / 1000).toFixed(1)} s)`);
  return result;
}

export function fleetTable(report: FleetReport): string {
  const head = ['phase', 'replicas', 'portals', 'people', 'wall', 'target ≤ 300 s', 'succeeded', 'max wait', 'median run', 'portals/min', 'B24 HTTP', '503', 'cores: service / sim+bench / postgres / other'];
  const lines = report.phases.map((p) => [
    p.phase,
    String(p.replicas),
    p.portals.toLocaleString('en-US'),
    p.people.toLocaleString('en-US'),
    `${(p.wallMs / 1000).toFixed(1)} s`,
    p.wallMs <= 300_000 && p.succeeded === p.portals && p.waitedMoreThanOneCycle === 0 ? 'met' : 'MISSED',
    `${p.succeeded}${p.failed ? ` (+${p.failed} failed)` : ''}`,
    `${(p.maxWaitMs / 1000).toFixed(1)} s`,
    `${(p.medianRunMs / 1000).toFixed(2)} s`,
    String(p.portalsPerMinute),
    p.bitrix24Requests.toLocaleString('en-US'),
    String(p.rateLimited503),
    `${p.cores.services} / ${p.cores.simulatorsAndBench} / ${p.cores.postgres} / ${p.cores.other}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const ratios = Object.entries(report.ratios)
    .filter(([, r]) => r !== null)
    .map(([phase, r]) => `${phase}: two replicas take ${r} × the time of one`)
    .join('; ');
  return [row(head), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n') + (ratios ? `\n\n${ratios}` : '');
}
