import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { findInRepo } from '../common/repo-path';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { Public } from '../access/public.decorator';
import { DomainException } from '../common/errors/domain.exception';

/**
 * The owner's settings page: one HTML file, one script, one stylesheet, all static, built
 * from src/web/app (TypeScript + Preact) by scripts/build-web.ts into dist/web.
 * The page talks only to /api/v1 with the API key the user types in; nothing here
 * knows about keys, so the served files can never contain one.
 */

/** The strictest policy the page works under: no inline script or style, no framing, same-origin fetches only. */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  // Every form is handled by the script; a native submission (script failed to load) is
  // blocked rather than sending the API key field anywhere.
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** Files under /assets/ by name (dist/web/assets); anything else is a 404. */
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

const PAGE_FILE = 'index.html';
const BUNDLE = join('dist', 'web');

/**
 * Finds the built page (dist/web) whether this file runs from src/web (ts-jest) or from
 * dist/src/web: in each ancestor that holds package.json and dist/web/index.html.
 */
export function resolvePublicDir(start: string = __dirname): string {
  try {
    return findInRepo(join(BUNDLE, PAGE_FILE), start).slice(0, -PAGE_FILE.length - 1);
  } catch {
    throw new Error(`The settings page is not built (${BUNDLE}/${PAGE_FILE} was not found above ${start}): run "npm run build"`);
  }
}

function load(dir: string, file: string, contentType: string): Asset {
  const body = readFileSync(join(dir, file));
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

@ApiExcludeController()
@Public()
@SkipThrottle()
@Controller()
export class WebController {
  private readonly page: Asset;
  private readonly assets = new Map<string, Asset>();

  constructor() {
    const dir = resolvePublicDir();
    this.page = load(dir, PAGE_FILE, 'text/html; charset=utf-8');
    for (const [name, type] of Object.entries(ASSETS)) this.assets.set(name, load(join(dir, 'assets'), name, type));
  }

  @Get()
  index(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res, this.page);
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Req() req: Request, @Res() res: Response): void {
    const asset = Object.prototype.hasOwnProperty.call(ASSETS, name) ? this.assets.get(name) : undefined;
    if (!asset) {
      for (const [header, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(header, value);
      throw new DomainException('not_found', 'asset_not_found', 'No such file');
    }
    this.send(req, res, asset);
  }

  /** Revalidated on every load (no-cache + ETag), so a deploy is picked up at once and an unchanged file costs a 304. */
  private send(req: Request, res: Response, asset: Asset): void {
    for (const [header, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(header, value);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', asset.etag);
    res.setHeader('Content-Type', asset.contentType);
    if (req.headers['if-none-match'] === asset.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).send(asset.body);
  }
}
