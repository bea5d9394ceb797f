import { Module } from '@nestjs/common';
import { WebController } from './web.controller';

/** Serves the owner's settings page at / (static files; the page uses the REST API). */
@Module({ controllers: [WebController] })
export class WebModule {}
