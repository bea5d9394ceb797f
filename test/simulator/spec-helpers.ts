/**
 * Small HTTP helpers for the simulator's own specs (and anyone else's): real requests with
 * global fetch, and a local handler that records what Bitrix24 would POST to an app.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PortalSimulator, TokenResponse } from './portal-simulator';

export interface RestAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** POSTs a JSON body to `${base}${method}` (base = clientEndpoint or a webhook URL). */
export async function postJson(base: string, method: string, params: Record<string, unknown> = {}): Promise<RestAnswer> {
  const response = await fetch(`${base}${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(params),
    redirect: 'manual',
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}

/** POSTs an already encoded form body. */
export async function postForm(url: string, form: string): Promise<RestAnswer> {
  const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form, redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}

/** GETs a URL (no redirects followed) and parses JSON when there is a body. */
export async function getJson(url: string): Promise<RestAnswer> {
  const response = await fetch(url, { redirect: 'manual' });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if (text && (response.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text) as Record<string, unknown>;
  return { status: response.status, body, headers: response.headers };
}

/** Calls a REST method with an OAuth token in `auth` (JSON body). */
export function callApp(sim: PortalSimulator, token: string, method: string, params: Record<string, unknown> = {}): Promise<RestAnswer> {
  return postJson(sim.clientEndpoint, method, { ...params, auth: token });
}

/** Runs the real code flow: /oauth/authorize/ → redirect → /oauth/token/. */
export async function codeFlow(sim: PortalSimulator, state = 'st'): Promise<{ redirect: URL; tokens: TokenResponse }> {
  const authorize = await fetch(sim.authorizeUrl(state), { redirect: 'manual' });
  const location = authorize.headers.get('location');
  if (authorize.status !== 302 || !location) throw new Error(`authorize answered ${authorize.status}`);
  const redirect = new URL(location);
  const query = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: sim.clientId,
    client_secret: sim.clientSecret,
    code: redirect.searchParams.get('code') ?? '',
  });
  const response = await fetch(`http://${redirect.searchParams.get('server_domain')}/oauth/token/?${query.toString()}`);
  const tokens = (await response.json()) as TokenResponse;
  if (response.status !== 200) throw new Error(`token answered ${response.status}: ${JSON.stringify(tokens)}`);
  return { redirect, tokens };
}

export interface RecordedPost {
  path: string;
  contentType: string;
  body: string;
}

/** A local HTTP server that records POSTs and answers `status` (default 200). */
export async function startRecorder(status = 200): Promise<{ url: string; posts: RecordedPost[]; setStatus(code: number): void; close(): Promise<void> }> {
  const posts: RecordedPost[] = [];
  let answer = status;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    setStatus: (code) => {
      answer = code;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
