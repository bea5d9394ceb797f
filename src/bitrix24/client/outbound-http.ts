import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Agent, fetch as undiciFetch } from 'undici';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { guardedLookup, UrlPolicy } from './url-policy';

/** What callers need of an answer (a subset of the WHATWG Response). */
export interface OutboundResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface OutboundRequest {
  method: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: string;
  redirect: 'manual' | 'error';
  signal?: AbortSignal;
}

export type OutboundFetch = (url: string | URL, init: OutboundRequest) => Promise<OutboundResponse>;

export function policyFromConfig(config: AppConfig): UrlPolicy {
  return { allowInsecure: config.bitrix24.allowInsecure, allowedPrivateNetworks: config.bitrix24.allowedPrivateNetworks };
}

/**
 * Every HTTP request this service makes to Bitrix24 (portals, webhooks, the OAuth
 * server) goes through this one dispatcher, whose connect-time lookup applies the
 * address policy to the address actually connected to. Redirects are never followed
 * here: callers get the 30x and decide (src/bitrix24/client/bitrix24-client.ts).
 */
@Injectable()
export class OutboundHttp implements OnApplicationShutdown {
  readonly policy: UrlPolicy;
  private readonly dispatcher: Agent;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.policy = policyFromConfig(config);
    this.dispatcher = OutboundHttp.dispatcherFor(this.policy);
  }

  /** An undici Agent whose every new connection resolves through the policy's guarded lookup. */
  static dispatcherFor(policy: UrlPolicy): Agent {
    return new Agent({ connect: { lookup: guardedLookup(policy) as never }, keepAliveTimeout: 4_000 });
  }

  readonly fetch: OutboundFetch = (url, init) =>
    undiciFetch(url, { ...init, dispatcher: this.dispatcher }) as unknown as Promise<OutboundResponse>;

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.destroy().catch(() => undefined);
  }
}
