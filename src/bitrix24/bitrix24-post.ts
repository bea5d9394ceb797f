import { DomainException } from '../common/errors/domain.exception';
import type { FieldProblem } from '../common/validation';

/**
 * What Bitrix24 posts to an application's handlers, form-encoded with `auth[...]` keys
 * (api-reference/events/index.md, common/events/on-app-install.md, on-app-uninstall.md,
 * common/events/on-user-add.md). Express's extended parser turns `auth[member_id]` into
 * `auth.member_id` — and `auth[member_id][]=x` into an array, so every field is checked
 * here before anything reads it: anyone can post.
 */
export interface Bitrix24Post {
  /** Upper-cased; '' when absent (the install handler needs none). */
  event: string;
  memberId: string | null;
  applicationToken: string | null;
  accessToken: string | null;
  refreshToken: string | null;
  /** host[:port] of auth[server_endpoint], when it is a URL. */
  serverDomain: string | null;
  /** data[ID] of ONUSERADD, deduplicated, at most 500. */
  userIds: number[];
}

export const MEMBER_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const EVENT = /^[A-Za-z0-9_]{1,64}$/;
export const TOKEN = /^[\x21-\x7e]{1,4096}$/;
export const HOST = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/;
const AUTH_TEXT_FIELDS = ['access_token', 'refresh_token', 'expires', 'expires_in', 'scope', 'domain', 'server_endpoint', 'client_endpoint', 'status', 'member_id', 'user_id', 'application_token'] as const;

export const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function text(value: unknown, field: string, problems: FieldProblem[], pattern?: RegExp): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') {
    problems.push({ field, problems: [`${field} must be a single text value`] });
    return null;
  }
  if (value.length > 4096 || /[\u0000-\u001f\u007f]/.test(value) || (pattern && !pattern.test(value))) {
    problems.push({ field, problems: [`${field} is malformed`] });
    return null;
  }
  return value;
}

function userIdsOf(raw: unknown, problems: FieldProblem[]): number[] {
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : isPlainObject(raw) ? Object.values(raw) : [raw];
  const ids: number[] = [];
  for (const item of list.slice(0, 500)) {
    const id = typeof item === 'number' || (typeof item === 'string' && /^\d{1,10}$/.test(item)) ? Number(item) : NaN;
    if (!Number.isSafeInteger(id) || id <= 0) {
      problems.push({ field: 'data[ID]', problems: ['data[ID] must be Bitrix24 user ids'] });
      return [];
    }
    ids.push(id);
  }
  return [...new Set(ids)];
}

/** Reads a handler post; any malformed field is a 400 listing each one, never a crash later. */
export function parseBitrix24Post(body: unknown): Bitrix24Post {
  const problems: FieldProblem[] = [];
  const post = isPlainObject(body) ? body : {};
  if (body !== undefined && body !== null && !isPlainObject(body)) problems.push({ field: 'body', problems: ['the body must be a form or a JSON object'] });
  const event = text(post.event, 'event', problems, EVENT) ?? '';
  const auth = post.auth === undefined ? {} : isPlainObject(post.auth) ? post.auth : null;
  if (!auth) problems.push({ field: 'auth', problems: ['auth must be a set of auth[...] fields'] });
  const fields: Partial<Record<(typeof AUTH_TEXT_FIELDS)[number], string | null>> = {};
  for (const name of AUTH_TEXT_FIELDS) fields[name] = text(auth?.[name], `auth[${name}]`, problems, name === 'member_id' ? MEMBER_ID : name.endsWith('_token') ? TOKEN : name === 'domain' ? HOST : undefined);
  if (post.data !== undefined && !isPlainObject(post.data)) problems.push({ field: 'data', problems: ['data must be a set of data[...] fields'] });
  const data = isPlainObject(post.data) ? post.data : {};
  const userIds = userIdsOf(data.ID ?? data.id, problems);
  if (problems.length) throw new DomainException('invalid', 'event_payload_invalid', 'The Bitrix24 post is malformed', problems);
  let serverDomain: string | null = null;
  try {
    if (fields.server_endpoint) serverDomain = new URL(fields.server_endpoint).host.toLowerCase();
  } catch {
    /* not a URL: the default authorization server is used */
  }
  return {
    event: event.toUpperCase(),
    memberId: fields.member_id ?? null,
    applicationToken: fields.application_token ?? null,
    accessToken: fields.access_token ?? null,
    refreshToken: fields.refresh_token ?? null,
    serverDomain,
    userIds,
  };
}
