import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessModule } from '../access/access.module';
import { Bitrix24AppFrameController } from './app-frame/app-frame.controller';
import { Bitrix24AppFrameService } from './app-frame/app-frame.service';
import { Bitrix24AppStateRepository } from './bitrix24-app-state.repository';
import { Bitrix24ClientFactory } from './bitrix24-client.factory';
import { Bitrix24ConnectionEntity } from './bitrix24-connection.entity';
import { Bitrix24ConnectionsController } from './bitrix24-connections.controller';
import { Bitrix24ConnectionsRepository } from './bitrix24-connections.repository';
import { Bitrix24ConnectionsService } from './bitrix24-connections.service';
import { Bitrix24EventsController } from './bitrix24-events.controller';
import { Bitrix24EventsService } from './bitrix24-events.service';
import { Bitrix24InstallVerifier } from './bitrix24-install-verifier.service';
import { Bitrix24InstallationService } from './bitrix24-installation.service';
import { Bitrix24InstallsService } from './bitrix24-installs.service';
import { Bitrix24OAuthController } from './bitrix24-oauth.controller';
import { Bitrix24OfflineEventsCollector } from './bitrix24-offline-events.service';
import { Bitrix24OAuthService } from './bitrix24-oauth.service';
import { Bitrix24TokenService } from './bitrix24-token.service';
import { Bitrix24OAuthServerClient } from './client/oauth-server.client';
import { OutboundHttp } from './client/outbound-http';
import { SecretResealService } from './secret-reseal.service';

/**
 * Connecting Bitrix24 portals: OAuth app flow, install/uninstall and user events,
 * incoming webhooks, the token lifecycle and the REST client. BITRIX24_EVENT_SINK is
 * provided by the sync module.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Bitrix24ConnectionEntity]), AccessModule],
  controllers: [Bitrix24OAuthController, Bitrix24EventsController, Bitrix24ConnectionsController, Bitrix24AppFrameController],
  providers: [
    OutboundHttp,
    Bitrix24OAuthServerClient,
    Bitrix24TokenService,
    Bitrix24ClientFactory,
    Bitrix24ConnectionsRepository,
    Bitrix24ConnectionsService,
    Bitrix24OAuthService,
    Bitrix24EventsService,
    Bitrix24InstallVerifier,
    Bitrix24AppStateRepository,
    Bitrix24InstallationService,
    Bitrix24InstallsService,
    Bitrix24OfflineEventsCollector,
    Bitrix24AppFrameService,
    SecretResealService,
  ],
  exports: [Bitrix24OfflineEventsCollector, Bitrix24ClientFactory, Bitrix24ConnectionsRepository, Bitrix24ConnectionsService, Bitrix24TokenService, Bitrix24InstallVerifier, OutboundHttp],
})
export class Bitrix24Module {}
