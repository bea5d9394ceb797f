/**
 * `npm run bench` — import speed, Bitrix24 request count and memory on 1k, 10k and 100k-person
 * portals (issue 7). Never part of `npm test`. See bench/README.md.
 *
 *   node dist/bench/run.js [--size N | --sizes 1000,10000,100000] [--scenarios initial,resync_unchanged,…]
 *                          [--seed 7] [--departments N] [--profile] [--quiet] [--out bench/results/latest.json]
 *
 * Exits 0 when the measurements were taken, whether or not the targets are met; non-zero on errors.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchDatabaseUrl, databaseName, serverVersion, shownUrl } from './database';
import { Harness, HarnessOptions, ScenarioKey, ScenarioResult, SCENARIOS } from './harness';
import { checkTargets, detailsTable, floorsTable, resultsTable, targetsTable } from './report';
import { fleetTable, runFleet } from './fleet';

const ROOT = resolve(__dirname, '../..');
const DEFAULT_SIZES = [1_000, 10_000, 100_000];
const ALL_SCENARIOS = Object.keys(SCENARIOS) as ScenarioKey[];

function parseSizes(text: string): number[] {
  return text.split(',').map((part) => {
    const n = Number(part.trim().replace(/_/g, '').replace(/k$/i, '000'));
    if (!Number.isInteger(n) || n < 10 || n > 1_000_000) throw new Error(`bad size "${part}": an integer from 10 to 1,000,000`);
    return n;
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string' },
      sizes: { type: 'string' },
      scenarios: { type: 'string' },
      seed: { type: 'string', default: '7' },
      departments: { type: 'string' },
      profile: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      out: { type: 'string' },
      fleet: { type: 'boolean', default: false },
      portals: { type: 'string', default: '1000' },
      replicas: { type: 'string', default: '1,2' },
      accounts: { type: 'string', default: '100' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'npm run bench -- [--size N | --sizes 1000,10000,100000] [--scenarios a,b] [--seed N] [--departments N] [--profile] [--quiet] [--out FILE]\n' +
        'npm run bench -- --fleet [--portals 1000] [--replicas 1,2] [--accounts 100] [--seed N] [--quiet] [--out FILE]\n' +
        `scenarios: ${ALL_SCENARIOS.join(', ')}\n`,
    );
    return 0;
  }
  if (values.fleet) return fleetMain(values);
  const sizes = values.size ? parseSizes(values.size) : values.sizes ? parseSizes(values.sizes) : DEFAULT_SIZES;
  const scenarios = values.scenarios ? (values.scenarios.split(',').map((x) => x.trim()) as ScenarioKey[]) : ALL_SCENARIOS;
  for (const s of scenarios) if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario "${s}" (${ALL_SCENARIOS.join(', ')})`);
  const seed = Number(values.seed);
  // Issue 13: the portal's department count (default: the generator's, about one per 20 people, at most 5,000).
  const departments = values.departments === undefined ? undefined : Number(values.departments);
  if (departments !== undefined && (!Number.isInteger(departments) || departments < 1 || departments > 20_000)) throw new Error(`bad --departments "${values.departments}": an integer from 1 to 20,000`);
  const databaseUrl = benchDatabaseUrl();
  if (['postgres', 'template0', 'template1'].includes(databaseName(databaseUrl))) throw new Error(`the bench drops and recreates its database; refusing "${databaseName(databaseUrl)}"`);
  const out = resolve(values.out ?? join(ROOT, 'bench/results/latest.json'));
  const resultsDir = dirname(out);
  const verbose = !values.quiet;
  const say = (text: string) => verbose && process.stderr.write(text + '\n');

  const git = gitRevision();
  const machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    postgres: await serverVersion(databaseUrl),
    kernel: release(),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  say(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGb} GB, node ${machine.node}, ${machine.postgres.split(' on ')[0]}`);
  say(`database: ${shownUrl(databaseUrl)} (dropped and recreated per fresh start)`);

  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const extraEnv = Object.fromEntries(
    Object.entries(process.env)
      .filter(([k, v]) => k.startsWith('BENCH_SVC_') && v !== undefined)
      .map(([k, v]) => [k.slice('BENCH_SVC_'.length), v as string]),
  );
  const results: ScenarioResult[] = [];
  const started = Date.now();
  for (const size of sizes) {
    const options: HarnessOptions = {
      root: ROOT,
      databaseUrl,
      size,
      seed,
      departments,
      profile: values.profile,
      profileDir: join(resultsDir, 'profiles'),
      logDir: join(resultsDir, 'logs'),
      nodeArgs,
      extraEnv,
      verbose,
    };
    say(`\n== ${size.toLocaleString('en-US')} people ==`);
    const sizeResults: ScenarioResult[] = [];
    // Scenarios 1, 3, 4 and 5 share one portal and database, in that order.
    const shared: ScenarioKey[] = scenarios.filter((s) => s !== 'initial_half_manual');
    if (shared.length) {
      const h = await Harness.open(options, 'main');
      try {
        // Re-syncs and the event need the initial import first, measured or not.
        const order: ScenarioKey[] = ['initial', 'resync_unchanged', 'resync_changed', 'event_new_user'];
        for (const scenario of order) {
          if (scenario !== 'initial' && !shared.includes(scenario)) continue;
          const result = await h.run(scenario);
          if (shared.includes(scenario)) sizeResults.push(result);
        }
      } finally {
        await h.close();
      }
    }
    if (scenarios.includes('initial_half_manual')) {
      // A fresh database, account and portal of its own.
      const h = await Harness.open(options, 'half-manual');
      try {
        sizeResults.push(await h.run('initial_half_manual'));
      } finally {
        await h.close();
      }
    }
    sizeResults.sort((a, b) => a.n - b.n);
    results.push(...sizeResults);
    say('\n' + resultsTable(sizeResults) + '\n\n' + floorsTable(sizeResults));
  }

  const targets = checkTargets(results);
  const report = {
    ...reportHeader(7, started, git, machine),
    settings: {
      sizes,
      scenarios,
      seed,
      departments: departments ?? 'generator default (people / 20, at most 5,000)',
      simulatorRateLimit: { perSecond: 2, burst: 50, note: 'simulator default, left on' },
      database: shownUrl(databaseUrl),
      serviceNodeArgs: nodeArgs,
      serviceExtraEnv: Object.keys(extraEnv),
      profile: values.profile,
    },
    results,
    targets,
    targetsMet: targets.filter((t) => t.met).length,
    targetsMissed: targets.filter((t) => !t.met).length,
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');

  const revision = git.commit ? `commit ${git.commit.slice(0, 7)}${git.dirtySrc ? ' + uncommitted src changes' : ''}` : 'commit unknown';
  process.stdout.write(`\nBenchmark (${revision}) — ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGb} GB RAM, node ${machine.node}, ${machine.postgres.split(' on ')[0]}\n\n`);
  process.stdout.write(resultsTable(results) + '\n\n');
  process.stdout.write(detailsTable(results) + '\n\n');
  process.stdout.write(`Floors (same run): the export alone (our client reading the simulator, no database) and the rows the scenario wrote, written by one INSERT … SELECT per table\n\n`);
  process.stdout.write(floorsTable(results) + '\n\n');
  process.stdout.write(targetsTable(targets) + '\n\n');
  const notes = results.flatMap((r) => r.notes.map((n) => `${r.size} ${r.scenario}: ${n}`));
  if (notes.length) process.stdout.write(`Notes:\n${[...new Set(notes)].map((n) => `  - ${n}`).join('\n')}\n\n`);
  process.stdout.write(`${report.targetsMet} targets met, ${report.targetsMissed} missed. Written to ${out}\n`);
  return 0;
}

/** What every report file starts with: the issue, the command, how long, the commit and the machine. */
function reportHeader<M extends object>(issue: number, started: number, git: ReturnType<typeof gitRevision>, machine: M) {
  return {
    issue,
    generatedAt: new Date().toISOString(),
    command: `node dist/bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    totalSeconds: Math.round((Date.now() - started) / 1000),
    git,
    machine: { ...machine, loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100) },
  };
}

/** `--fleet`: many portals per replica (bench/fleet.ts); its own database and report file. */
async function fleetMain(values: { portals: string; replicas: string; accounts: string; seed: string; quiet: boolean; out?: string }): Promise<number> {
  const portals = Number(values.portals);
  const replicas = values.replicas.split(',').map((r) => Number(r.trim()));
  const accounts = Number(values.accounts);
  if (!Number.isInteger(portals) || portals < 1 || portals > 5000) throw new Error(`bad --portals "${values.portals}": an integer from 1 to 5,000`);
  if (replicas.some((r) => !Number.isInteger(r) || r < 1 || r > 4)) throw new Error(`bad --replicas "${values.replicas}": e.g. 1,2`);
  if (!Number.isInteger(accounts) || accounts < 1) throw new Error(`bad --accounts "${values.accounts}"`);
  // A database of its own, so a fleet run never drops the one another bench run is using.
  const databaseUrl = process.env.BENCH_FLEET_DATABASE_URL ?? benchDatabaseUrl().replace(/\/b24_bench(\?|$)/, '/b24_bench_fleet$1');
  if (['postgres', 'template0', 'template1'].includes(databaseName(databaseUrl))) throw new Error(`the bench drops and recreates its database; refusing "${databaseName(databaseUrl)}"`);
  const out = resolve(values.out ?? join(ROOT, 'bench/results/fleet.json'));
  const extraEnv = Object.fromEntries(
    Object.entries(process.env)
      .filter(([k, v]) => k.startsWith('BENCH_SVC_') && v !== undefined)
      .map(([k, v]) => [k.slice('BENCH_SVC_'.length), v as string]),
  );
  const machine = { cpuModel: cpus()[0]?.model ?? 'unknown', cores: cpus().length, ramGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10, node: process.version, postgres: await serverVersion(databaseUrl), loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100) };
  const started = Date.now();
  const report = await runFleet({
    root: ROOT,
    databaseUrl,
    portals,
    replicas,
    accounts,
    minPeople: 50,
    maxPeople: 500,
    seed: Number(values.seed),
    logDir: join(dirname(out), 'logs'),
    nodeArgs: (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    extraEnv,
    verbose: !values.quiet,
  });
  const git = gitRevision();
  const full = {
    ...reportHeader(12, started, git, machine),
    ...report,
    settings: { ...report.settings, databaseUrl: shownUrl(databaseUrl) },
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(full, null, 2) + '\n');
  const revision = git.commit ? `commit ${git.commit.slice(0, 7)}${git.dirtySrc ? ' + uncommitted src changes' : ''}` : 'commit unknown';
  process.stdout.write(`\nFleet benchmark (${revision}) — ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGb} GB RAM, node ${machine.node}, ${machine.postgres.split(' on ')[0]}\n\n`);
  process.stdout.write(fleetTable(report) + '\n\n');
  const notes = report.phases.flatMap((p) => p.notes.map((n) => `${p.phase} ×${p.replicas}: ${n}`));
  if (notes.length) process.stdout.write(`Notes:\n${notes.map((n) => `  - ${n}`).join('\n')}\n\n`);
  process.stdout.write(`Written to ${out}\n`);
  return 0;
}

/** The commit measured, and whether src/ or migrations/ had uncommitted changes. */
function gitRevision(): { commit: string | null; dirtySrc: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'migrations'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit, dirtySrc: dirty.length > 0 };
  } catch {
    return { commit: null, dirtySrc: null };
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
