/**
 * The export floor (issue 12), bench side: starts bench/export-floor-worker.js as a child
 * process with the service's environment and asks it to read the portal.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { ExportFloor } from './floors';
import { IpcRequests } from './service-process';

export interface ExportFloorRequest {
  type: 'export';
  /** The portal's REST address (client_endpoint) and an access token it issued. */
  baseUrl: string;
  accessToken: string;
  /** The portal's leaky bucket as the connection knows it. */
  rate: { perSecond: number; burst: number };
  /** expectedUsers: what the engine passes (the last complete run's total; null on a first import). */
  read: { kind: 'full_export'; expectedUsers: number | null } | { kind: 'users_by_id'; userIds: number[] };
}

export class ExportFloorProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly requests: IpcRequests,
  ) {}

  /** `entry`: node arguments that start the worker (default: the built dist/bench/export-floor-worker.js). */
  static start(options: { root: string; env: Record<string, string>; logFile: string; entry?: string[] }): ExportFloorProcess {
    const child = spawn(process.execPath, options.entry ?? [join(options.root, 'dist/bench/export-floor-worker.js')], {
      cwd: options.root,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const log = createWriteStream(options.logFile, { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    return new ExportFloorProcess(child, new IpcRequests(child, 'export floor process'));
  }

  get pid(): number {
    return this.child.pid!;
  }

  async read(request: Omit<ExportFloorRequest, 'type'>, timeoutMs = 20 * 60_000): Promise<ExportFloor> {
    const answer = await this.requests.send({ ...request, type: 'export' }, timeoutMs);
    return answer.floor as ExportFloor;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
