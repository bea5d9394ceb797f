import { DomainException } from '../../common/errors/domain.exception';
import type { FieldProblem } from '../../common/validation';
import { HOST, isPlainObject, MEMBER_ID, text, TOKEN } from '../bitrix24-post';

/**
 * What Bitrix24 posts to an application's page when someone opens it — the installer, the
 * main page and every placement alike (settings/oauth/simple-way.md "What the application
 * receives on opening"; settings/app-installation/installation-finish.md; widgets: PLACEMENT
 * and PLACEMENT_OPTIONS, api-reference/widgets/universal/app-url.md). Query: DOMAIN, PROTOCOL
 * (0 http, 1 https), LANG, APP_SID. Form: AUTH_ID, AUTH_EXPIRES, REFRESH_ID, SERVER_ENDPOINT,
 * APPLICATION_TOKEN, APPLICATION_SCOPE, member_id, status, PLACEMENT, PLACEMENT_OPTIONS.
 * Anyone can post anything here, so each field is checked; none is trusted until the install
 * verifier has proven the tokens, and DOMAIN is never contacted.
 */
export interface AppFramePost {
  accessToken: string;
  refreshToken: string;
  memberId: string;
  /** APPLICATION_TOKEN ("the same value arrives in application_token for event handlers"); null when the portal sends none. */
  applicationToken: string | null;
  /** host[:port] of SERVER_ENDPOINT: used only when it is on BITRIX24_OAUTH_SERVERS. */
  serverDomain: string | null;
  placement: string;
  placementOptions: Record<string, unknown> | null;
  /** The portal origin the query names (`PROTOCOL`, `DOMAIN`): only for framing a refusal, never contacted. */
  claimedPortalOrigin: string | null;
  lang: string | null;
}

const PLACEMENT = /^[A-Za-z0-9_.]{1,64}$/;
const LANG = /^[a-z]{2}$/;

export function parseAppFramePost(body: unknown, query: unknown): AppFramePost {
  const problems: FieldProblem[] = [];
  const form = isPlainObject(body) ? body : {};
  const q = isPlainObject(query) ? query : {};
  const accessToken = text(form.AUTH_ID, 'AUTH_ID', problems, TOKEN);
  const refreshToken = text(form.REFRESH_ID, 'REFRESH_ID', problems, TOKEN);
  const memberId = text(form.member_id, 'member_id', problems, MEMBER_ID);
  const applicationToken = text(form.APPLICATION_TOKEN, 'APPLICATION_TOKEN', problems, TOKEN);
  const serverEndpoint = text(form.SERVER_ENDPOINT, 'SERVER_ENDPOINT', problems);
  const placement = text(form.PLACEMENT, 'PLACEMENT', problems, PLACEMENT) ?? 'DEFAULT';
  const options = text(form.PLACEMENT_OPTIONS, 'PLACEMENT_OPTIONS', problems);
  const domain = text(q.DOMAIN, 'DOMAIN', problems, HOST);
  const protocol = text(q.PROTOCOL, 'PROTOCOL', problems, /^[01]$/);
  const lang = text(q.LANG, 'LANG', problems, LANG);
  let placementOptions: Record<string, unknown> | null = null;
  if (options) {
    try {
      const parsed: unknown = JSON.parse(options);
      if (isPlainObject(parsed)) placementOptions = parsed;
      else problems.push({ field: 'PLACEMENT_OPTIONS', problems: ['PLACEMENT_OPTIONS must be a JSON object'] });
    } catch {
      problems.push({ field: 'PLACEMENT_OPTIONS', problems: ['PLACEMENT_OPTIONS must be a JSON object'] });
    }
  }
  if (problems.length) throw new DomainException('invalid', 'app_page_post_invalid', 'The Bitrix24 application page post is malformed', problems);
  if (!accessToken || !refreshToken || !memberId) {
    throw new DomainException('invalid', 'app_page_post_incomplete', 'Open this application from Bitrix24: the page needs AUTH_ID, REFRESH_ID and member_id, which Bitrix24 posts when the application is opened');
  }
  let serverDomain: string | null = null;
  try {
    if (serverEndpoint) serverDomain = new URL(serverEndpoint).host.toLowerCase();
  } catch {
    /* not a URL: the default authorization server is used */
  }
  return {
    accessToken,
    refreshToken,
    memberId,
    applicationToken,
    serverDomain,
    placement,
    placementOptions,
    claimedPortalOrigin: domain ? `${protocol === '0' ? 'http' : 'https'}://${domain.toLowerCase()}` : null,
    lang,
  };
}
