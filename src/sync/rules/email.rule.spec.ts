import { isValidEmail, normalizeEmail } from './email.rule';

describe('normalizeEmail', () => {
  it.each<[unknown, string | null]>([
    ['ivan@x.ru', 'ivan@x.ru'],
    ['  Ivan.Petrov@Example.COM  ', 'ivan.petrov@example.com'],
    ['\tIVAN@X.RU\n', 'ivan@x.ru'],
    ['Иван@Пример.РФ', 'иван@пример.рф'],
    ['', null],
    ['   ', null],
    ['\u00a0', null],
    [null, null],
    [undefined, null],
    [42, null],
    [['ivan@x.ru'], null],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeEmail(raw)).toBe(expected);
  });
});

describe('isValidEmail', () => {
  it.each<[string, boolean]>([
    ['ivan@x.ru', true],
    ['ivan.petrov@mail.example.com', true],
    ['ivan+crm@x.ru', true],
    ['o\'brien@x.ie', true],
    ['иван@пример.рф', true],
    ['ivan@пример.рф', true],
    ['ivan@xn--e1afmkfd.xn--p1ai', true],
    ['a@b.co', true],
    ['', false],
    ['ivan', false],
    ['ivan@', false],
    ['@x.ru', false],
    ['ivan@x', false],
    ['ivan@@x.ru', false],
    ['ivan@x@y.ru', false],
    ['ivan petrov@x.ru', false],
    ['ivan@x .ru', false],
    ['ivan@x..ru', false],
    ['ivan@.x.ru', false],
    ['ivan@x.ru.', false],
    ['ivan@-x.ru', false],
    ['ivan@x-.ru', false],
    ['ivan <ivan@x.ru>', false],
    ['ivan@x.ru, petr@x.ru', false],
    ['ivan@x.ru;petr@x.ru', false],
    ['"ivan"@x.ru', false],
    [`${'a'.repeat(64)}@x.ru`, true],
    [`${'a'.repeat(65)}@x.ru`, false],
    [`a@${'b'.repeat(249)}.ru`, true], // 254 characters
    [`a@${'b'.repeat(250)}.ru`, false], // 255 characters
  ])('%j → %s', (email, expected) => {
    expect(isValidEmail(email)).toBe(expected);
  });
});
