import request from 'supertest';
import type { TestApp } from './test-app';

/** A form body as Bitrix24 posts it (keys like `auth[member_id]` are sent as written). */
export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** POSTs a form to a public Bitrix24 endpoint, optionally from another client address (the test app trusts a loopback proxy). */
export function postForm(t: TestApp, path: string, fields: Record<string, string> | string, from?: string): request.Test {
  const req = request(t.url).post(path).type('form');
  if (from) req.set('X-Forwarded-For', from);
  return req.send(typeof fields === 'string' ? fields : form(fields));
}

/** Everything an attack could change: connections (every column), keys, runs, employees. */
export async function storedState(t: TestApp): Promise<string> {
  const [connections, keys, runs, employees] = await Promise.all([
    t.dataSource.query(`SELECT * FROM bitrix24_connection ORDER BY id`),
    t.dataSource.query(`SELECT id, role, revoked_at FROM api_key ORDER BY id`),
    t.dataSource.query(`SELECT count(*)::int AS n FROM sync_run`),
    t.dataSource.query(`SELECT count(*)::int AS n FROM employee`),
  ]);
  return JSON.stringify({ connections, keys, runs, employees });
}

export async function connectionRow(t: TestApp, memberId: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await t.dataSource.query(`SELECT * FROM bitrix24_connection WHERE member_id = $1`, [memberId]);
  return row;
}

/** The error envelope, and nothing else. */
export function expectEnvelope(body: unknown, code?: string | RegExp): void {
  const envelope = body as { error?: { code?: unknown; message?: unknown } };
  expect(Object.keys(envelope)).toEqual(['error']);
  expect(typeof envelope.error?.code).toBe('string');
  expect(typeof envelope.error?.message).toBe('string');
  if (code instanceof RegExp) expect(envelope.error!.code).toMatch(code);
  else if (code) expect(envelope.error!.code).toBe(code);
}
