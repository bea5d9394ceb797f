import { insufficientRightsMessage, stateAfterFailure } from './admin-rights';

describe('stateAfterFailure', () => {
  it.each([
    ['insufficient_rights', 'insufficient_rights'],
    ['auth_revoked', 'reauth_required'],
    ['insufficient_scope', 'reauth_required'],
    ['access_denied', 'reauth_required'],
    ['payment_required', 'reauth_required'],
    ['https_required', 'reauth_required'],
    ['portal_gone', 'reauth_required'],
    ['confirmation_pending', null],
    ['transient', null],
    ['rate_limited', null],
    ['overload_blocked', null],
    ['invalid_request', null],
    ['auth_expired', null],
    ['internal', null],
  ] as const)('%s → %s', (kind, state) => {
    expect(stateAfterFailure(kind)).toBe(state);
  });
});

describe('insufficientRightsMessage', () => {
  it('says who must reconnect, for either kind of connection', () => {
    expect(insufficientRightsMessage('oauth', 7)).toMatch(/Bitrix24 user #7, who is not a portal administrator.*A Bitrix24 administrator must connect the portal again/);
    expect(insufficientRightsMessage('webhook', 12)).toMatch(/webhook belongs to Bitrix24 user #12.*A Bitrix24 administrator must create the incoming webhook/);
    expect(insufficientRightsMessage('oauth', null)).toMatch(/connected by a Bitrix24 user, who/);
  });
});
