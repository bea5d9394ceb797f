import type { Bitrix24User } from '../../bitrix24/bitrix24-user';
import {
  nextLinkState,
  observeUser,
  shouldRemoveFromResponsible,
  type LinkObservation,
  type LinkOutcome,
  type LinkState,
  type LinkTransition,
} from './link-state.rule';

describe('nextLinkState', () => {
  it.each<[LinkState | null, LinkObservation, boolean, LinkTransition]>([
    // from active
    ['active', 'seen_active', true, { state: 'active', outcome: null }],
    ['active', 'seen_inactive', true, { state: 'dismissed', outcome: 'dismissed' }],
    ['active', 'seen_inactive', false, { state: 'dismissed', outcome: 'dismissed' }],
    ['active', 'missing', true, { state: 'deleted', outcome: 'deleted' }],
    ['active', 'missing', false, { state: 'active', outcome: null }],
    // from dismissed
    ['dismissed', 'seen_active', true, { state: 'active', outcome: 'reactivated' }],
    ['dismissed', 'seen_active', false, { state: 'active', outcome: 'reactivated' }],
    ['dismissed', 'seen_inactive', true, { state: 'dismissed', outcome: null }],
    ['dismissed', 'missing', true, { state: 'deleted', outcome: 'deleted' }],
    ['dismissed', 'missing', false, { state: 'dismissed', outcome: null }],
    // from deleted
    ['deleted', 'seen_active', true, { state: 'active', outcome: 'reactivated' }],
    ['deleted', 'seen_inactive', true, { state: 'deleted', outcome: null }],
    ['deleted', 'missing', true, { state: 'deleted', outcome: null }],
    ['deleted', 'missing', false, { state: 'deleted', outcome: null }],
    // no link yet: starting state, never an event
    [null, 'seen_active', true, { state: 'active', outcome: null }],
    [null, 'seen_inactive', true, { state: 'dismissed', outcome: null }],
    [null, 'missing', true, { state: 'deleted', outcome: null }],
  ])('%s + %s (export complete: %s) → %j', (current, observation, complete, expected) => {
    expect(nextLinkState(current, observation, complete)).toEqual(expected);
  });

  // Department selection (issue 13, rule 2): only seen_active depends on it.
  it.each<[LinkState | null, LinkObservation, boolean, LinkTransition]>([
    ['active', 'seen_active', false, { state: 'out_of_scope', outcome: 'out_of_scope' }],
    ['active', 'seen_active', true, { state: 'active', outcome: null }],
    ['active', 'seen_inactive', false, { state: 'dismissed', outcome: 'dismissed' }],
    ['out_of_scope', 'seen_active', true, { state: 'active', outcome: 'back_in_scope' }],
    ['out_of_scope', 'seen_active', false, { state: 'out_of_scope', outcome: null }],
    ['out_of_scope', 'seen_inactive', false, { state: 'dismissed', outcome: 'dismissed' }],
    ['out_of_scope', 'seen_inactive', true, { state: 'dismissed', outcome: 'dismissed' }],
    ['out_of_scope', 'missing', true, { state: 'deleted', outcome: 'deleted' }],
    ['dismissed', 'seen_active', false, { state: 'out_of_scope', outcome: null }],
    ['dismissed', 'seen_active', true, { state: 'active', outcome: 'reactivated' }],
    ['deleted', 'seen_active', false, { state: 'out_of_scope', outcome: null }],
    ['dismissed', 'seen_inactive', false, { state: 'dismissed', outcome: null }],
    [null, 'seen_active', false, { state: 'out_of_scope', outcome: null }],
  ])('%s + %s (in scope: %s) → %j', (current, observation, inScope, expected) => {
    expect(nextLinkState(current, observation, true, inScope)).toEqual(expected);
  });
});

describe('observeUser', () => {
  it.each<[Pick<Bitrix24User, 'ACTIVE'> | undefined | null, LinkObservation]>([
    [undefined, 'missing'],
    [null, 'missing'],
    [{ ACTIVE: true }, 'seen_active'],
    [{ ACTIVE: 'Y' }, 'seen_active'],
    [{}, 'seen_active'],
    [{ ACTIVE: false }, 'seen_inactive'],
    [{ ACTIVE: 'N' }, 'seen_inactive'],
  ])('%j → %s', (user, expected) => {
    expect(observeUser(user)).toBe(expected);
  });
});

describe('shouldRemoveFromResponsible', () => {
  it.each<[LinkOutcome | null, boolean]>([
    ['dismissed', true],
    ['deleted', true],
    ['reactivated', false],
    ['out_of_scope', true],
    ['back_in_scope', false],
    [null, false],
  ])('%s → %s', (outcome, expected) => {
    expect(shouldRemoveFromResponsible(outcome)).toBe(expected);
  });
});
