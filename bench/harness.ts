/**
 * One simulated portal, one fresh bench database and the service as a child process,
 * wired together through the real OAuth flow; measures the scenarios on them.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session as InspectorSession } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { PortalSimulator } from '../test/simulator/portal-simulator';
import { recreateDatabase, rowsWritten, RowsWritten, snapshotRows } from './database';
import { cpuMs, cpuMsByPid, machineCpuMs, postgresCpuMs, RssSampler } from './proc';
import { LogLine, ServiceProcess, sleep } from './service-process';
import { formatSummary, ProfileSummary, summarizeProfileFile } from './profile-summary';
import { freePort } from '../test/support/free-port';
import { ExportFloorProcess, ExportFloorRequest } from './export-floor';
import { floorRatios, Floors } from './floors';
import { markXid, measureWriteFloor, WriteWindow } from './write-floor';

export const CLIENT_ID = 'app.bench.client';
export const CLIENT_SECRET = 'bench-client-secret-value';
/** A fixed key: the bench database is thrown away after each run. */
const ENCRYPTION_KEY = Buffer.alloc(32, 11).toString('base64');
/** The simulator's default leaky bucket (README "Limits"): 2 requests/s, burst 50. */
const PORTAL_DRAIN_PER_SECOND = 2;

export type ScenarioKey = 'initial' | 'initial_half_manual' | 'resync_unchanged' | 'resync_changed' | 'event_new_user';

export const SCENARIOS: Record<ScenarioKey, { n: number; label: string }> = {
  initial: { n: 1, label: 'initial import, all new' },
  initial_half_manual: { n: 2, label: 'initial import, half exist as manual employees (emails upper-cased)' },
  resync_unchanged: { n: 3, label: 're-sync, nothing changed' },
  resync_changed: { n: 4, label: 're-sync, 1 % changed (NAME or EMAIL), 5 % dismissed' },
  event_new_user: { n: 5, label: 'ONUSERADD → employee readable via GET /api/v1/employees?q=' },
};

export interface ScenarioResult extends RowsWritten {
  size: number;
  scenario: ScenarioKey;
  n: number;
  label: string;
  /** Users the portal returns (1 for the event scenario). */
  people: number;
  /** Departments the portal returns (department.get pages ride in the same batches as the users'). */
  departments: number;
  wallMs: number;
  peoplePerSecond: number;
  /** HTTP requests the simulator received (/rest/…, a batch is one) during the scenario. */
  bitrix24RequestsSimulator: number;
  /** bitrix24Requests of the service's "sync run finished" log line. */
  bitrix24RequestsService: number | null;
  perMethod: Record<string, number>;
  sqlStatements: number | null;
  /** durationMs of the service's log line (from the worker picking the run up). */
  runDurationMs: number | null;
  peakRssMb: number;
  rss: { sampledPeakMb: number; hwmMb: number | null; samples: number };
  queryLimitExceeded: number;
  rateLimited: number;
  /** List calls that made the portal count a total (simulator stats.countedListCalls), by method. */
  countedListCalls: Record<string, number>;
  /** The largest time.operating (a method's seconds in the 10-minute window, limits.md) any answer carried. */
  maxOperatingSeconds: number;
  /** The largest processing time of one HTTP request (a batch: the sum of its commands). */
  maxRequestProcessingSeconds: number;
  runId: string | null;
  runStatus: string | null;
  counters: Record<string, unknown> | null;
  /** The rest of the service's "sync run finished" line (any extra figures it logs). */
  serviceRunLog: Record<string, unknown> | null;
  /** CPU time during the scenario; postgresAll is every PostgreSQL process of the server. */
  cpuMs: {
    service: number;
    benchProcess: number;
    postgresAll: number;
    /** PostgreSQL backends connected to the bench database at the end (the service's pool). */
    benchDatabaseBackends: number;
    otherProcesses: number;
    /** Idle CPU time waiting on disk I/O, all cores (commit fsyncs; other databases' checkpoints). */
    machineIoWait: number;
  };
  notes: string[];
  setup?: Record<string, unknown>;
  profile?: { service?: ProfileSummary; bench?: ProfileSummary; files: string[] };
  /** The scenario's transactions (what the write floor copies). */
  writeWindow: WriteWindow;
  /** Measured right after the scenario, in the same run (bench/floors.ts). */
  floors: Floors | null;
}

export interface HarnessOptions {
  root: string;
  databaseUrl: string;
  size: number;
  seed: number;
  /** Departments of the simulated portal (undefined: the generator's default). */
  departments?: number;
  profile: boolean;
  profileDir: string;
  logDir: string;
  nodeArgs: string[];
  extraEnv: Record<string, string>;
  verbose: boolean;
}

export class Harness {
  db!: Client;
  service!: ServiceProcess;
  sim!: PortalSimulator;
  exportFloor!: ExportFloorProcess;
  accountId = '';
  ownerKey = '';
  connectionId = '';
  private requestsBefore = 0;
  private drainedAt = Date.now();
  private requestsAtDrain = 0;
  private benchSession: InspectorSession | null = null;

  private constructor(
    readonly options: HarnessOptions,
    readonly tag: string,
  ) {}

  /** Fresh database, simulator, service, account and OAuth connection. */
  static async open(options: HarnessOptions, tag: string): Promise<Harness> {
    const h = new Harness(options, tag);
    await h.boot();
    return h;
  }

  private log(text: string): void {
    if (this.options.verbose) process.stderr.write(`  [${this.options.size} ${this.tag}] ${text}\n`);
  }

  private async boot(): Promise<void> {
    const { options } = this;
    await recreateDatabase(options.databaseUrl);
    const port = await freePort();
    const started = Date.now();
    this.sim = await PortalSimulator.start({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: `http://127.0.0.1:${port}/bitrix24/oauth/callback`,
      people: options.size,
      seed: options.seed,
      departments: options.departments,
      // rate limit: the simulator's default (2 requests/s, burst 50) — left on on purpose.
    });
    this.log(`simulator with ${this.sim.users.length} people ready in ${Date.now() - started} ms`);
    mkdirSync(options.logDir, { recursive: true });
    const env = this.serviceEnv(port);
    this.service = await ServiceProcess.start({
      root: options.root,
      port,
      env,
      nodeArgs: options.nodeArgs,
      profileHook: options.profile,
      logFile: join(options.logDir, `service-${options.size}-${this.tag}.log`),
    });
    this.log(`service pid ${this.service.pid} listening on ${this.service.url}`);
    this.exportFloor = ExportFloorProcess.start({ root: options.root, env, logFile: join(options.logDir, `export-floor-${options.size}-${this.tag}.log`) });
    const account = await createAccount(options.root, env, `Bench ${options.size} ${this.tag}`);
    this.accountId = account.accountId;
    this.ownerKey = account.ownerKey;
    this.connectionId = await this.connect();
    this.db = new Client({ connectionString: options.databaseUrl });
    await this.db.connect();
    this.log(`account ${this.accountId}, connection ${this.connectionId}`);
  }

  private serviceEnv(port: number): Record<string, string> {
    return {
      NODE_ENV: 'development',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
      DATABASE_URL: this.options.databaseUrl,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'b24-bench-')),
      TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY,
      BITRIX24_ALLOW_INSECURE: 'true',
      BITRIX24_CLIENT_ID: CLIENT_ID,
      BITRIX24_CLIENT_SECRET: CLIENT_SECRET,
      BITRIX24_OAUTH_SERVERS: this.sim.serverDomain,
      // Runs start when the bench asks (Synchronize, ONUSERADD), never on a timer.
      SYNC_SCHEDULER_ENABLED: 'false',
      // The bench polls the API every 20 ms in the event scenario.
      API_RATE_LIMIT_PER_MINUTE: '100000',
      ...this.options.extraEnv,
    };
  }

  /** The OAuth dance of test/support/bitrix24.ts, over plain fetch. */
  private async connect(): Promise<string> {
    const start = await this.api('POST', '/api/v1/bitrix24/oauth/start', { portal: this.sim.baseUrl });
    if (start.status !== 201) throw new Error(`oauth/start answered ${start.status}: ${JSON.stringify(start.body)}`);
    const authorize = await fetch(String((start.body as { authorizeUrl: string }).authorizeUrl), { redirect: 'manual' });
    const callbackUrl = authorize.headers.get('location');
    if (authorize.status !== 302 || !callbackUrl) throw new Error(`authorize answered ${authorize.status}: ${await authorize.text()}`);
    const callback = await fetch(callbackUrl, { redirect: 'manual' });
    const location = callback.headers.get('location');
    const id = location && new URL(location, this.service.url).searchParams.get('connected');
    if (callback.status !== 302 || !id) throw new Error(`OAuth callback answered ${callback.status}: ${(await callback.text()).slice(0, 300)}`);
    return id;
  }

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.service.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.ownerKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* keep text */
    }
    return { status: res.status, body: parsed };
  }

  private simRequestsTotal(): number {
    return this.requestsBefore + this.sim.stats.restRequests;
  }

  /**
   * Waits until the portal's leaky bucket has drained what earlier steps put in it, as the
   * 30-minute gap between real syncs would; otherwise a re-sync right after a 100,000-person
   * import would be measured waiting on the rate limit the import used up.
   */
  private async drainPortalBucket(): Promise<number> {
    const requests = this.simRequestsTotal() - this.requestsAtDrain;
    const waitMs = Math.ceil((requests / PORTAL_DRAIN_PER_SECOND) * 1000 - (Date.now() - this.drainedAt));
    if (waitMs > 0) {
      this.log(`waiting ${waitMs} ms for the portal's rate-limit bucket to drain (${requests} requests)`);
      await sleep(waitMs + 250);
    }
    this.drainedAt = Date.now();
    this.requestsAtDrain = this.simRequestsTotal();
    return Math.max(0, waitMs);
  }

  private resetSimStats(): void {
    this.requestsBefore += this.sim.stats.restRequests;
    this.sim.resetStats();
  }

  /**
   * Runs `action` (which starts the work and resolves when it is done: run finished /
   * employee readable) and measures it.
   */
  private async measure(
    scenario: ScenarioKey,
    people: number,
    action: (t0: number, logFrom: number) => Promise<{ wallMs: number; runId: string }>,
    setup?: Record<string, unknown>,
  ): Promise<ScenarioResult> {
    const { size } = this.options;
    await this.drainPortalBucket();
    await sleep(200); // let the service settle (GC, pool) before the clock starts
    const before = await snapshotRows(this.db, this.accountId, this.connectionId);
    this.resetSimStats();
    const logFrom = this.service.logCount;
    const profileFiles: string[] = [];
    const profileBase = join(this.options.profileDir, `${size}-${scenario}`);
    if (this.options.profile) {
      mkdirSync(this.options.profileDir, { recursive: true });
      await this.service.ipc({ type: 'cpu-profile-start' });
      await this.startBenchProfile();
    }
    const backends0 = cpuMsByPid(await this.backendPids());
    const cpu0 = { service: cpuMs(this.service.pid), bench: process.cpuUsage(), pg: postgresCpuMs(), machine: machineCpuMs() };
    const rss = new RssSampler(this.service.pid, 50);
    rss.start();
    const fromXid = await markXid(this.db);
    const t0 = performance.now();
    const { wallMs, runId } = await action(t0, logFrom);
    const end = await this.service
      .waitForLog((l) => (l.msg === 'sync run finished' || l.msg === 'sync run failed') && l.runId === runId, logFrom, 20 * 60_000)
      .catch(() => null);
    const finished = end?.msg === 'sync run finished' ? end : null;
    const failed = end?.msg === 'sync run failed' ? end : null;
    const peak = rss.stop();
    const benchCpu = process.cpuUsage(cpu0.bench);
    const cpu = {
      service: Math.round(cpuMs(this.service.pid) - cpu0.service),
      benchProcess: Math.round((benchCpu.user + benchCpu.system) / 1000),
      postgresAll: Math.round(postgresCpuMs() - cpu0.pg),
      otherProcesses: 0,
      machineIoWait: 0,
      benchDatabaseBackends: 0,
    };
    for (const [pid, ms] of cpuMsByPid(await this.backendPids())) cpu.benchDatabaseBackends += Math.round(ms - (backends0.get(pid) ?? 0));
    // Whatever else ran on the machine meanwhile (other test runs compete for the same cores).
    const machine1 = machineCpuMs();
    cpu.otherProcesses = Math.max(0, Math.round(machine1.busy - cpu0.machine.busy - cpu.service - cpu.benchProcess - cpu.postgresAll));
    cpu.machineIoWait = Math.round(machine1.ioWait - cpu0.machine.ioWait);
    const stats = this.sim.stats;
    const simRequests = stats.restRequests;
    const perMethod = { ...stats.perMethod };
    const sent503 = stats.sent503;
    const rateLimited = stats.rateLimited;
    const counted = { ...stats.countedListCalls };
    const { maxOperatingSeconds, maxRequestProcessingSeconds } = stats;
    let profile: ScenarioResult['profile'];
    if (this.options.profile) {
      const serviceFile = `${profileBase}-service.cpuprofile`;
      const benchFile = `${profileBase}-bench.cpuprofile`;
      await this.service.ipc({ type: 'cpu-profile-stop', file: serviceFile });
      await this.stopBenchProfile(benchFile);
      profileFiles.push(serviceFile, benchFile);
      profile = { service: summarizeProfileFile(serviceFile, 25), bench: summarizeProfileFile(benchFile, 25), files: profileFiles };
      if (this.options.verbose) {
        process.stderr.write(formatSummary(`service CPU profile, ${size} ${scenario}`, profile.service!) + '\n');
        process.stderr.write(formatSummary(`bench process (simulator) CPU profile, ${size} ${scenario}`, profile.bench!) + '\n');
      }
    }
    const run = (await this.api('GET', `/api/v1/sync-runs/${runId}`)).body as { status?: string; counters?: Record<string, unknown> } | null;
    const after = await snapshotRows(this.db, this.accountId, this.connectionId);
    const written = rowsWritten(before, after);
    const writeWindow = { fromXid, toXid: await markXid(this.db) };
    const notes: string[] = [];
    if (!finished) notes.push(failed ? `run failed: ${String(failed.code)} ${String(failed.error)}` : 'no "sync run finished" log line');
    if (cpu.otherProcesses > wallMs * 0.25) {
      notes.push(`machine busy: other processes used ${cpu.otherProcesses} ms of CPU during this ${Math.round(wallMs)} ms scenario (${(cpu.otherProcesses / wallMs).toFixed(2)} cores on average); the timing is pessimistic`);
    }
    if (cpu.machineIoWait > wallMs * 0.25) {
      notes.push(`disk waits: the machine spent ${cpu.machineIoWait} ms waiting on I/O during this ${Math.round(wallMs)} ms scenario`);
    }
    for (const p of this.service.problemsSince(logFrom)) notes.push(`service ${p.level}: ${String(p.msg)}${p.error ? ` (${String(p.error)})` : ''}`);
    const result: ScenarioResult = {
      size,
      scenario,
      n: SCENARIOS[scenario].n,
      label: SCENARIOS[scenario].label,
      people,
      departments: this.sim.departments.length,
      wallMs: Math.round(wallMs),
      peoplePerSecond: Math.round(people / (wallMs / 1000)),
      bitrix24RequestsSimulator: simRequests,
      bitrix24RequestsService: finished ? Number(finished.bitrix24Requests) : null,
      perMethod,
      sqlStatements: finished ? Number(finished.sqlStatements) : null,
      runDurationMs: finished ? Number(finished.durationMs) : null,
      peakRssMb: peak.peakMb,
      rss: { sampledPeakMb: peak.sampledPeakMb, hwmMb: peak.hwmMb, samples: rss.samples },
      queryLimitExceeded: sent503,
      rateLimited,
      countedListCalls: counted,
      maxOperatingSeconds: round3(maxOperatingSeconds),
      maxRequestProcessingSeconds: round3(maxRequestProcessingSeconds),
      runId,
      runStatus: run?.status ?? null,
      counters: run?.counters ?? null,
      serviceRunLog: finished ? omit(finished, ['time', 'level', 'context', 'msg', 'counters', 'runId', 'connectionId', 'accountId']) : null,
      cpuMs: cpu,
      notes,
      ...written,
      ...(setup ? { setup } : {}),
      ...(profile ? { profile } : {}),
      writeWindow,
      floors: null,
    };
    this.log(`${scenario}: ${result.wallMs} ms, ${simRequests} requests, ${written.employeeRowsWritten} employee rows, status ${result.runStatus}`);
    return result;
  }

  private async startBenchProfile(): Promise<void> {
    this.benchSession = new InspectorSession();
    this.benchSession.connect();
    await inspectorPost(this.benchSession, 'Profiler.enable');
    await inspectorPost(this.benchSession, 'Profiler.setSamplingInterval', { interval: 500 });
    await inspectorPost(this.benchSession, 'Profiler.start');
  }

  private async stopBenchProfile(file: string): Promise<void> {
    if (!this.benchSession) return;
    const { profile } = await inspectorPost<{ profile: unknown }>(this.benchSession, 'Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    this.benchSession.disconnect();
    this.benchSession = null;
  }

  /** Presses Synchronize; done when the service logs the run as finished. */
  async fullSync(scenario: ScenarioKey, setup?: Record<string, unknown>): Promise<ScenarioResult> {
    const people = this.sim.users.length;
    return this.measure(
      scenario,
      people,
      async (t0, logFrom) => {
        const res = await this.api('POST', `/api/v1/bitrix24/connections/${this.connectionId}/sync`);
        if (res.status !== 202) throw new Error(`Synchronize answered ${res.status}: ${JSON.stringify(res.body)}`);
        const runId = String((res.body as { id: string }).id);
        // The worker logs this line after the run's final state is committed.
        await this.service.waitForLog((l) => (l.msg === 'sync run finished' || l.msg === 'sync run failed') && l.runId === runId, logFrom, 20 * 60_000);
        return { wallMs: performance.now() - t0, runId };
      },
      setup,
    );
  }

  /** Scenario 2's starting point: half the people already exist as manual employees. */
  async insertManualEmployees(): Promise<Record<string, unknown>> {
    const picked = this.sim.users.filter((u, i) => i % 2 === 0 && typeof u.EMAIL === 'string' && u.EMAIL.trim() !== '');
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const started = Date.now();
    await this.db.query(
      `INSERT INTO employee (account_id, first_name, last_name, middle_name, email, source)
       SELECT $1, coalesce(t.first_name, ''), coalesce(nullif(t.last_name, ''), 'Manual'), t.middle_name, t.email, 'manual'
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(first_name, last_name, middle_name, email)`,
      [
        this.accountId,
        picked.map((u) => str(u.NAME)),
        picked.map((u) => str(u.LAST_NAME)),
        picked.map((u) => str(u.SECOND_NAME)),
        // Same address in another case (and without the Bitrix24 side's stray spaces).
        picked.map((u) => String(u.EMAIL).trim().toUpperCase()),
      ],
    );
    await this.db.query('ANALYZE employee');
    return { manualEmployees: picked.length, emailsUpperCased: true, insertMs: Date.now() - started };
  }

  /** Scenario 4's changes on the portal: 1 % of linked active people edited, 5 % dismissed. */
  mutatePortal(activeLinkedIds: number[]): Record<string, unknown> {
    const size = this.sim.users.length;
    const changeCount = Math.round(size * 0.01);
    const dismissCount = Math.round(size * 0.05);
    const shuffled = seededShuffle(activeLinkedIds, this.options.seed + 7);
    const changed = shuffled.slice(0, changeCount);
    const dismissed = shuffled.slice(changeCount, changeCount + dismissCount);
    let names = 0;
    let emails = 0;
    const byId = new Map(this.sim.users.map((u) => [Number(u.ID), u]));
    changed.forEach((id, i) => {
      const user = byId.get(id)!;
      if (i % 2 === 0) {
        this.sim.updateUser(id, { NAME: `${typeof user.NAME === 'string' ? user.NAME : ''}Изм`.trim() });
        names++;
      } else {
        this.sim.updateUser(id, { EMAIL: `changed.${id}@bench.example.com` });
        emails++;
      }
    });
    for (const id of dismissed) this.sim.dismissUser(id);
    return { changed: changed.length, nameChanges: names, emailChanges: emails, dismissed: dismissed.length, activeLinkedBefore: activeLinkedIds.length };
  }

  /** Server processes serving the bench database (the service's pool), not this client's. */
  private async backendPids(): Promise<number[]> {
    const { rows } = await this.db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    return rows.map((r) => Number(r.pid));
  }

  async activeLinkedIds(): Promise<number[]> {
    const { rows } = await this.db.query<{ id: number }>(`SELECT bitrix24_user_id AS id FROM bitrix24_user_link WHERE connection_id = $1 AND state = 'active' ORDER BY 1`, [this.connectionId]);
    return rows.map((r) => Number(r.id));
  }

  /** Scenario 5: ONUSERADD for a new user; done when GET /api/v1/employees?q=<email> finds them. */
  async eventNewUser(): Promise<ScenarioResult> {
    // The install callback binds the event handlers; not part of the measured time.
    const installed = await this.sim.postInstall(`${this.service.url}/bitrix24/install`);
    if (installed !== 200 && installed !== 201) throw new Error(`install callback answered ${installed}`);
    await this.service.waitForLog((l) => l.msg === 'application installed on portal', 0, 10_000).catch(() => undefined);
    await sleep(300);
    const email = `bench.newhire.${Date.now()}@example.com`;
    const user = this.sim.addUser({ NAME: 'Бенч', LAST_NAME: 'Новичков', EMAIL: email, ACTIVE: true, UF_DEPARTMENT: [1], USER_TYPE: 'employee', WORK_PHONE: '+7 (495) 123-45-67' });
    return this.measure(
      'event_new_user',
      1,
      async (t0, logFrom) => {
        const statuses = await this.sim.fireOnUserAdd(user.ID);
        if (!statuses.length || statuses.some((s) => s !== 200 && s !== 201)) throw new Error(`ONUSERADD handler answered ${JSON.stringify(statuses)}`);
        let wallMs = 0;
        for (;;) {
          const res = await this.api('GET', `/api/v1/employees?q=${encodeURIComponent(email)}`);
          const items = (res.body as { items?: unknown[] } | null)?.items ?? [];
          if (res.status === 200 && items.length) {
            wallMs = performance.now() - t0;
            break;
          }
          if (performance.now() - t0 > 120_000) throw new Error('the new user did not become readable within 120 s');
          await sleep(20);
        }
        const queued = await this.service.waitForLog((l: LogLine) => l.msg === 'new Bitrix24 users queued for import', logFrom, 30_000);
        return { wallMs, runId: String(queued.runId) };
      },
      { bitrix24UserId: Number(user.ID) },
    );
  }

  /** A scenario, then its floors. */
  async run(scenario: ScenarioKey): Promise<ScenarioResult> {
    const result = await this.runScenario(scenario);
    result.floors = await this.measureFloors(result);
    return result;
  }

  /**
   * The floors of a scenario just measured: the export alone, from a drained bucket as the
   * import started, then the rows it wrote written again (bench/floors.ts).
   */
  private async measureFloors(result: ScenarioResult): Promise<Floors> {
    await this.drainPortalBucket();
    const { rows } = await this.db.query<{ per_second: string; burst: number }>(
      `SELECT rate_limit_per_second::text AS per_second, rate_limit_burst AS burst FROM bitrix24_connection WHERE id = $1`,
      [this.connectionId],
    );
    // What the engine read: the whole portal (with the last complete run's total, none before
    // the first import), or the event's user by ID.
    const read: ExportFloorRequest['read'] =
      result.scenario === 'event_new_user'
        ? { kind: 'users_by_id', userIds: [Number(result.setup?.bitrix24UserId)] }
        : { kind: 'full_export', expectedUsers: result.scenario === 'initial' || result.scenario === 'initial_half_manual' ? null : result.people };
    const exportFloor = await this.exportFloor.read({
      baseUrl: this.sim.clientEndpoint,
      accessToken: this.sim.issueTokens().access_token,
      rate: { perSecond: Number(rows[0].per_second), burst: Number(rows[0].burst) },
      read,
    });
    const writeFloor = await measureWriteFloor(this.db, result.writeWindow);
    const floors: Floors = { export: exportFloor, write: writeFloor, ratios: floorRatios(result.wallMs, exportFloor.wallMs, writeFloor.wallMs) };
    this.log(
      `${result.scenario} floors: export ${exportFloor.wallMs} ms (${exportFloor.requests} requests, ${exportFloor.users} users), ` +
        `write ${writeFloor.wallMs ?? '≈ 0'} ms (${writeFloor.rows} rows); import ÷ export ${floors.ratios.importToExport ?? 'n/a'}, ÷ (export + write) ${floors.ratios.importToExportPlusWrite ?? 'n/a'}`,
    );
    return floors;
  }

  private async runScenario(scenario: ScenarioKey): Promise<ScenarioResult> {
    switch (scenario) {
      case 'initial':
      case 'resync_unchanged':
        return this.fullSync(scenario);
      case 'resync_changed': {
        const setup = this.mutatePortal(await this.activeLinkedIds());
        return this.fullSync(scenario, setup);
      }
      case 'initial_half_manual': {
        const setup = await this.insertManualEmployees();
        return this.fullSync(scenario, setup);
      }
      case 'event_new_user':
        return this.eventNewUser();
    }
  }

  async close(): Promise<void> {
    await this.db?.end().catch(() => undefined);
    await this.exportFloor?.stop();
    await this.service?.stop();
    await this.sim?.stop();
  }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function omit(line: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(line).filter(([k]) => !keys.includes(k)));
}

function inspectorPost<T = unknown>(session: InspectorSession, method: string, params: Record<string, unknown> = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
}

/** `account:create` through the real CLI; its last stdout line is the owner key. */
function createAccount(root: string, env: Record<string, string>, name: string): Promise<{ accountId: string; ownerKey: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(root, 'dist/src/cli/main.js'), 'account:create', '--name', name],
      { cwd: root, env: { PATH: process.env.PATH ?? '', ...env, PORT: '0' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`account:create failed: ${error.message} ${stderr}`));
        const lines = stdout.trim().split('\n');
        const accountId = /\(([0-9a-f-]{36})\)/.exec(stdout)?.[1];
        const ownerKey = lines[lines.length - 1]?.trim();
        if (!accountId || !ownerKey) return reject(new Error(`account:create printed no account/key: ${stdout}`));
        resolve({ accountId, ownerKey });
      },
    );
  });
}


function seededShuffle<T>(list: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
