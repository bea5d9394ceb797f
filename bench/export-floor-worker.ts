/**
 * The export floor's process (issue 12), started by bench/export-floor.ts with the
 * service's environment: our real Bitrix24 client — the class, options and request plan
 * the engine uses (src/bitrix24/bitrix24-client.factory.ts, src/sync/sync-engine.service.ts)
 * — reading the simulated portal with no database work. A process of its own, as the
 * service is, so the client and the simulator (in the bench process) do not share a core's
 * event loop. Like the factory it keeps one leaky bucket and one record of method timings
 * for the portal, so a later read starts from what the earlier ones learnt, as a later run does.
 *
 * IPC request: { id, type: 'export', baseUrl, accessToken, rate: { perSecond, burst },
 *   read: { kind: 'full_export', expectedUsers } | { kind: 'users_by_id', userIds } }
 * answer: { id, floor: ExportFloor } or { id, error }.
 */
import 'reflect-metadata';
import { Bitrix24Client, Bitrix24Session } from '../src/bitrix24/client/bitrix24-client';
import { Bitrix24Error } from '../src/bitrix24/client/bitrix24-error';
import { LeakyBucket } from '../src/bitrix24/client/leaky-bucket';
import { MethodTimings } from '../src/bitrix24/client/method-timings';
import { OutboundHttp } from '../src/bitrix24/client/outbound-http';
import { loadConfig } from '../src/config/load-config';
import type { ExportFloor } from './floors';
import type { ExportFloorRequest } from './export-floor';

const config = loadConfig();
const http = new OutboundHttp(config);
const timings = new MethodTimings();
let bucket: LeakyBucket | null = null;
let portal = { baseUrl: '', accessToken: '' };

const session: Bitrix24Session = {
  baseUrl: () => portal.baseUrl,
  accessToken: async () => portal.accessToken,
  refresh: async () => {
    throw new Bitrix24Error('auth_revoked', 'expired_token', 'the floor token expired (the bench issues a fresh one per read)');
  },
  confirmMove: async () => false,
};

async function read(request: ExportFloorRequest): Promise<ExportFloor> {
  portal = { baseUrl: request.baseUrl, accessToken: request.accessToken };
  bucket ??= new LeakyBucket(request.rate.perSecond, request.rate.burst);
  let requests = 0;
  // The factory's build() for a connection, with the run's deadline.
  const client = new Bitrix24Client(session, {
    policy: http.policy,
    fetch: http.fetch,
    bucket,
    timings,
    timeoutMs: config.bitrix24.requestTimeoutMs,
    retryBaseMs: config.bitrix24.retryBaseMs,
    requestBudgetSeconds: config.bitrix24.requestBudgetSeconds,
    deadlineAt: Date.now() + config.sync.runDeadlineSeconds * 1000,
    onHttpRequest: () => {
      requests++;
    },
  });
  let users = 0;
  let departments = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (request.read.kind === 'full_export') {
    // As executeFull: the admin check first, departments riding along (no department selection).
    for await (const page of client.fullExport({ expectedUsers: request.read.expectedUsers, requireAdmin: true, departments: true })) {
      users += page.users.length;
      departments += page.departments.length;
    }
  } else {
    users = (await client.usersById(request.read.userIds)).length;
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { kind: request.read.kind, wallMs: Math.round(wallMs), requests, users, departments, cpuMs: Math.round((cpu.user + cpu.system) / 1000) };
}

process.on('message', (message: ExportFloorRequest & { id: number }) => {
  read(message).then(
    (floor) => process.send!({ id: message.id, floor }),
    (error: unknown) => process.send!({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => {
  void http.onApplicationShutdown().finally(() => process.exit(0));
});
