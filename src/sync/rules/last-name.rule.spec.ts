import { BITRIX24_TAG, tagLastName, untagLastName } from './last-name.rule';

describe('BITRIX24_TAG', () => {
  it('is the literal from seeds/002', () => {
    expect(BITRIX24_TAG).toBe('(bitrix24)');
  });
});

describe('tagLastName', () => {
  it.each<[string, string]>([
    ['Ivanov', '(bitrix24) Ivanov'],
    ['  Ivanov  ', '(bitrix24) Ivanov'],
    ['Иванов', '(bitrix24) Иванов'],
    ['Rimsky  Korsakov', '(bitrix24) Rimsky Korsakov'],
    ['Rimsky\u00a0\tKorsakov', '(bitrix24) Rimsky Korsakov'],
    ['(bitrix24) Ivanov', '(bitrix24) Ivanov'],
    ['(bitrix24)Ivanov', '(bitrix24) Ivanov'],
    ['(Bitrix24) Ivanov', '(bitrix24) Ivanov'],
    ['(BITRIX24)   Ivanov', '(bitrix24) Ivanov'],
    ['(Bitrix24)(bitrix24) Ivanov', '(bitrix24) Ivanov'],
    ['(bitrix24) (bitrix24) (bitrix24) Ivanov', '(bitrix24) Ivanov'],
    ['  ( bitrix24 ) Ivanov', '(bitrix24) Ivanov'],
    ['Ivanov (bitrix24)', '(bitrix24) Ivanov (bitrix24)'],
    ['(bitrix) Ivanov', '(bitrix24) (bitrix) Ivanov'],
    ['', '(bitrix24)'],
    ['(bitrix24)', '(bitrix24)'],
  ])('%j → %j', (input, expected) => {
    expect(tagLastName(input)).toBe(expected);
  });

  it.each(['Ivanov', '(bitrix24) Ivanov', '(Bitrix24)(bitrix24)  Ivanov '])('is idempotent for %j', (input) => {
    const once = tagLastName(input);
    expect(tagLastName(once)).toBe(once);
  });
});

describe('untagLastName', () => {
  it.each<[string, string]>([
    ['(bitrix24) Ivanov', 'Ivanov'],
    ['(Bitrix24)(bitrix24) Ivanov', 'Ivanov'],
    ['(bitrix24)Ivanov', 'Ivanov'],
    ['Ivanov', 'Ivanov'],
    ['  Rimsky   Korsakov ', 'Rimsky Korsakov'],
    ['Ivanov (bitrix24)', 'Ivanov (bitrix24)'],
    ['(bitrix24)', ''],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    expect(untagLastName(input)).toBe(expected);
  });
});
