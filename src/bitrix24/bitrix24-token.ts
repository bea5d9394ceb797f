/** A token not yet stored (install callback, OAuth callback) used to make first calls. */
export interface Bitrix24Token {
  clientEndpoint: string;
  accessToken: string;
  /** Unused: a token being verified gets a rate-limit bucket of its own. */
  portalKey?: string;
}
