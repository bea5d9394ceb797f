import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { testEnvironment } from './test-app';
import type { TestDatabase } from './test-database';

const ROOT = join(__dirname, '../..');

/**
 * The service as a real child process (`node src/main.ts` through test/support/ts-register.cjs),
 * so a test can kill it with SIGKILL at any point — nothing runs after that, its open
 * transaction is rolled back by PostgreSQL and its lease stays until it expires — or
 * stop it with SIGTERM (graceful shutdown, hand-back).
 */
export class ServiceChild {
  readonly logs: Array<Record<string, unknown>> = [];
  private stderr = '';
  private exited: Promise<void>;

  /** http://127.0.0.1:<port>, known once it listens. */
  url = '';

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      try {
        this.logs.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        /* not a log line */
      }
      if (process.env.TEST_LOGS) process.stdout.write(`[child ${child.pid}] ${text}\n`);
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(database: TestDatabase, env: Record<string, string> = {}): Promise<ServiceChild> {
    const child = spawn(process.execPath, ['-r', join(ROOT, 'test/support/ts-register.cjs'), join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        // Port 0: the process picks a free one itself (a port chosen here could be taken by
        // another test file before the child gets to listen on it).
        ...testEnvironment(database, { PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: 'http://127.0.0.1:3000', BITRIX24_RETRY_BASE_MS: '20', ...env }),
      },
    });
    const service = new ServiceChild(child);
    const listening = await service.waitForLog((l) => l.msg === 'service listening', 120_000);
    service.url = String(listening.url).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  async waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.logs.find(match);
      if (line) return line;
      if (this.child.exitCode !== null || this.child.signalCode) throw new Error(`service exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`log line not seen in ${timeoutMs} ms; stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** kill -9: the process stops where it is. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && !this.child.signalCode) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: graceful shutdown (SYNC_SHUTDOWN_GRACE_SECONDS, then the run is handed back). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && !this.child.signalCode) this.child.kill('SIGTERM');
    await this.exited;
  }
}
