/**
 * The service under test as a child process (`node dist/src/main.js`), so its memory can
 * be measured on its own. Its JSON log lines are collected; `waitForLog` finds the
 * "sync run finished" line of a run. With `profileHook` the child preloads
 * bench/profile-hook.js and answers CPU-profile and heap requests over IPC.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export type LogLine = Record<string, unknown> & { msg?: string; runId?: string; level?: string };

export interface ServiceStartOptions {
  root: string;
  port: number;
  env: Record<string, string>;
  /** Extra node flags, e.g. --max-old-space-size=256. */
  nodeArgs?: string[];
  profileHook?: boolean;
  /** Raw stdout/stderr of the service is appended here. */
  logFile?: string;
  startTimeoutMs?: number;
}

export class ServiceProcess {
  readonly logs: LogLine[] = [];
  private waiters: Array<{ from: number; match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private stderrTail = '';
  private readonly requests: IpcRequests;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly logStream: WriteStream | null,
  ) {
    const out = createInterface({ input: child.stdout! });
    out.on('line', (text) => {
      this.logStream?.write(text + '\n');
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      const index = this.logs.push(line) - 1;
      this.waiters = this.waiters.filter((w) => {
        if (index >= w.from && w.match(line)) {
          w.resolve(line);
          return false;
        }
        return true;
      });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.logStream?.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      this.exited = { code, signal };
    });
    this.requests = new IpcRequests(child, 'profile hook');
  }

  static async start(options: ServiceStartOptions): Promise<ServiceProcess> {
    const args = [...(options.nodeArgs ?? [])];
    if (options.profileHook) args.push('--require', join(options.root, 'dist/bench/profile-hook.js'));
    args.push(join(options.root, 'dist/src/main.js'));
    const child = spawn(process.execPath, args, {
      cwd: options.root,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', ...(options.profileHook ? (['ipc'] as const) : [])],
    });
    const logStream = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : null;
    const service = new ServiceProcess(child, `http://127.0.0.1:${options.port}`, logStream);
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (service.exited) throw new Error(`the service exited during start-up (${JSON.stringify(service.exited)}): ${service.stderrTail}`);
      try {
        const res = await fetch(`${service.url}/health/live`);
        if (res.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        await service.stop();
        throw new Error(`the service did not answer /health/live within ${options.startTimeoutMs ?? 60_000} ms: ${service.stderrTail}`);
      }
      await sleep(100);
    }
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get logCount(): number {
    return this.logs.length;
  }

  /** The first log line at index >= from that matches (already written or still to come). */
  waitForLog(match: (line: LogLine) => boolean, from = 0, timeoutMs = 600_000): Promise<LogLine> {
    for (let i = from; i < this.logs.length; i++) if (match(this.logs[i])) return Promise.resolve(this.logs[i]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching service log line within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (line: LogLine) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.push({ from, match, resolve: done });
    });
  }

  /** Errors and warnings the service logged since `from` (for the report's notes). */
  problemsSince(from: number): LogLine[] {
    return this.logs.slice(from).filter((l) => l.level === 'error' || l.level === 'warn' || l.level === 'fatal');
  }

  /** Sends a request to bench/profile-hook.js in the child; resolves with its answer. */
  ipc(message: Record<string, unknown>, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    if (!this.child.connected) return Promise.reject(new Error('the service was started without the profile hook (--profile)'));
    return this.requests.send(message, timeoutMs);
  }

  /** SIGTERM (the service lets running syncs finish), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => (this.logStream ? this.logStream.end(() => resolve()) : resolve()));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Request/answer over a child's IPC channel: each message carries an `id`, the child
 * answers with the same `id` (and `error` when it failed).
 */
export class IpcRequests {
  private seq = 0;
  private readonly waiters = new Map<number, (msg: Record<string, unknown>) => void>();

  constructor(
    private readonly child: ChildProcess,
    private readonly peer: string,
  ) {
    child.on('message', (msg: Record<string, unknown>) => {
      const waiter = this.waiters.get(Number(msg.id));
      if (waiter) {
        this.waiters.delete(Number(msg.id));
        waiter(msg);
      }
    });
  }

  send(message: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`${this.peer} did not answer ${String(message.type)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(id, (msg) => {
        clearTimeout(timer);
        if (msg.error) reject(new Error(String(msg.error)));
        else resolve(msg);
      });
      this.child.send!({ ...message, id });
    });
  }
}
