import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { Public } from '../../access/public.decorator';
import { PublicRateLimits } from '../../access/public-rate-limits.service';
import { toErrorEnvelope } from '../../common/errors/api-exception.filter';
import { DomainException } from '../../common/errors/domain.exception';
import { findInRepo } from '../../common/repo-path';
import { isPlainObject } from '../bitrix24-post';
import { AppFramePost, parseAppFramePost } from './app-frame-post';
import { appFrameCsp, appFramePage, AppFrameView } from './app-frame.page';
import { Bitrix24AppFrameService } from './app-frame.service';

/** The page's own files, and the official JS SDK's browser build served from this origin (sdk/b24jssdk/index.md). */
function loadAssets(): Record<string, { body: Buffer; type: string }> {
  const dir = findInRepo(join('src', 'bitrix24', 'app-frame', 'assets'), __dirname);
  const sdk = join(dirname(require.resolve('@bitrix24/b24jssdk/package.json')), 'dist', 'umd', 'index.min.js');
  return {
    'app-frame.js': { body: readFileSync(join(dir, 'app-frame.js')), type: 'text/javascript; charset=utf-8' },
    'app-frame.css': { body: readFileSync(join(dir, 'app-frame.css')), type: 'text/css; charset=utf-8' },
    'b24jssdk.js': { body: readFileSync(sdk), type: 'text/javascript; charset=utf-8' },
  };
}

/**
 * The application's page inside Bitrix24 (an interface app): set it as the installer URL,
 * the application URL and any placement handler. POST is what Bitrix24 sends when someone
 * opens the app (settings/oauth/simple-way.md); the answer may be framed by the portal
 * only (CSP frame-ancestors). Browsers get HTML; other clients the error envelope.
 */
@ApiExcludeController()
@Public()
@SkipThrottle()
@Controller('bitrix24/app')
export class Bitrix24AppFrameController {
  private readonly assets = loadAssets();

  constructor(
    private readonly frames: Bitrix24AppFrameService,
    private readonly limits: PublicRateLimits,
  ) {}

  @Post()
  async open(@Req() req: Request, @Body() body: unknown, @Query() query: unknown, @Res() res: Response): Promise<void> {
    let post: AppFramePost | null = null;
    try {
      this.limits.consumeClient('app', req.ip);
      post = parseAppFramePost(body, query);
      const answer = await this.frames.open(post);
      this.page(res, answer.status, answer.view, answer.frameAncestor);
    } catch (error) {
      if (!(error instanceof DomainException)) throw error;
      const { status, body: envelope, headers } = toErrorEnvelope(error);
      for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
      if (req.accepts(['json', 'html']) !== 'html') {
        res.status(status).json(envelope);
        return;
      }
      const refusal = this.frames.refusalView(post, error);
      this.page(res, status, refusal.view, refusal.frameAncestor);
    }
  }

  /** Opened outside Bitrix24 (no post): say where it belongs. Not framable. */
  @Get()
  outside(@Res() res: Response): void {
    this.page(res, 200, { title: 'Employee sync', alert: 'This is the page of the Bitrix24 application. Open it from Bitrix24 (Applications → Employee sync).' }, null);
  }

  /** After installFinish: the page asks for a check with app.info and event.get (sealed ticket from the page). */
  @Post('installed')
  @HttpCode(200)
  confirm(@Req() req: Request, @Body() body: unknown): Promise<unknown> {
    this.limits.consumeClient('app', req.ip);
    return this.frames.confirm(isPlainObject(body) ? body.ticket : undefined);
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    const asset = Object.prototype.hasOwnProperty.call(this.assets, name) ? this.assets[name] : undefined;
    if (!asset) throw new DomainException('not_found', 'asset_not_found', 'No such file');
    res.setHeader('Content-Type', asset.type);
    res.setHeader('Cache-Control', 'no-cache');
    // Loaded by the framed page: same origin, but the frame's parent is the portal.
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.status(200).send(asset.body);
  }

  private page(res: Response, status: number, view: AppFrameView, frameAncestor: string | null): void {
    // frame-ancestors replaces X-Frame-Options (CSP Level 2); DENY would block the portal's frame.
    res.removeHeader('X-Frame-Options');
    res.setHeader('Content-Security-Policy', appFrameCsp(frameAncestor));
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    res.status(status).type('html').send(appFramePage(view));
  }
}
