import { collectPhones, normalizeExtension, normalizePhone, type CountryCode, type PhoneNormalization } from './phone.rule';

const ok = (digits: string): PhoneNormalization => ({ ok: true, digits });
const notAPhone: PhoneNormalization = { ok: false, reason: 'not_a_phone_number' };
const empty: PhoneNormalization = { ok: false, reason: 'empty' };

describe('normalizePhone', () => {
  describe('formats and extensions (default country RU)', () => {
    it.each<[unknown, PhoneNormalization]>([
      ['8 (495) 123-45-67', ok('74951234567')],
      ['+7 (495) 123-45-67', ok('74951234567')],
      ['7 (495) 1234567', ok('74951234567')],
      ['74951234567', ok('74951234567')],
      ['84951234567', ok('74951234567')],
      ['(495) 123-45-67', ok('74951234567')],
      ['8 916 123 45 67', ok('79161234567')],
      ['8 800 555 35 35', ok('78005553535')],
      ['tel: 84951234567', ok('74951234567')],
      [74951234567, ok('74951234567')],
      // extensions are dropped, never glued onto the number
      ['8 916 123 45 67 доб. 12', ok('79161234567')],
      ['8 495 123 45 67 доб 12', ok('74951234567')],
      ['8(495)123-45-67доб.12', ok('74951234567')],
      ['8 (495) 123-45-67 (доб. 12)', ok('74951234567')],
      ['8 495 123 45 67 добавочный 1234', ok('74951234567')],
      ['8-495-123-45-67 вн. 12', ok('74951234567')],
      ['8-495-123-45-67 внутр. 12', ok('74951234567')],
      ['+7 495 123 45 67 ext 5', ok('74951234567')],
      ['+7 495 123 45 67 ext. 5', ok('74951234567')],
      ['+7 495 123 45 67 EXT.5', ok('74951234567')],
      ['+7 495 123 45 67 x5', ok('74951234567')],
      ['+7 4951234567x5', ok('74951234567')],
      ['+7 495 123 45 67 х5', ok('74951234567')], // Cyrillic "х"
      ['+7 495 123 45 67 #5', ok('74951234567')],
      // other countries in international form
      ['+1 212 555 0100', ok('12125550100')],
      ['+1 212 555 0100 ext. 5', ok('12125550100')],
      ['+44 20 7946 0958', ok('442079460958')],
      ['+375 29 123 45 67', ok('375291234567')],
      ['+7 700 123 45 67', ok('77001234567')], // Kazakhstan shares +7
      ['8 10 49 30 1234567', ok('49301234567')], // Russian international prefix 810
    ])('%j → %j', (raw, expected) => {
      expect(normalizePhone(raw, 'RU')).toEqual(expected);
    });
  });

  describe('default country decides national formats', () => {
    it.each<[string, CountryCode, PhoneNormalization]>([
      ['(212) 555-0100', 'US', ok('12125550100')],
      ['020 7946 0958', 'GB', ok('442079460958')],
      ['8 029 123 45 67', 'BY', ok('375291234567')],
      ['+7 (495) 123-45-67', 'US', ok('74951234567')],
    ])('%j in %s → %j', (raw, country, expected) => {
      expect(normalizePhone(raw, country)).toEqual(expected);
    });
  });

  describe('possible, not valid: well-formed numbers outside known ranges are kept', () => {
    it.each<[string, string, string]>([
      // in the +7 930 mobile block but outside the sub-ranges 'max' lists (isValid() = false)
      ['+7 930 003-80-00', '79300038000', 'unlisted mobile sub-range'],
      // a Russian range with no allocation in the metadata at all (isValid() = false)
      ['+7 (600) 123-45-67', '76001234567', 'unallocated range, right length'],
      // NANP fictional-use exchange (isValid() = false); accepted: right length
      ['+1 555 555 0100', '15555550100', 'fictional NANP number'],
    ])('%j → %s (%s)', (raw, digits) => {
      expect(normalizePhone(raw, 'RU')).toEqual(ok(digits));
    });
  });

  describe('rejections', () => {
    it.each<[unknown, PhoneNormalization]>([
      ['', empty],
      ['   ', empty],
      ['\t\n', empty],
      [null, empty],
      [undefined, empty],
      ['нет', notAPhone],
      ['-', notAPhone],
      ['n/a', notAPhone],
      ['123', notAPhone],
      ['123-45-67', notAPhone], // local number without area code: too short
      ['+7 (495) 123-45-6', notAPhone], // one digit short
      ['+7 (495) 123-45-678', notAPhone], // one digit too many
      ['доб. 12', notAPhone], // only an extension
      ['+79161234567; +74951234567', notAPhone], // several numbers: collectPhones splits them
      [{ phone: '84951234567' }, notAPhone],
      [true, notAPhone],
    ])('%j → %j', (raw, expected) => {
      expect(normalizePhone(raw, 'RU')).toEqual(expected);
    });
  });
});

describe('collectPhones', () => {
  type Input = Parameters<typeof collectPhones>[0];
  type Output = ReturnType<typeof collectPhones>;
  it.each<[string, Input, Output]>([
    [
      'seeds/002 order: work, mobile, personal',
      { PERSONAL_PHONE: '8 (495) 765-43-21', PERSONAL_MOBILE: '8 916 123 45 67', WORK_PHONE: '+7 (495) 123-45-67' },
      {
        phones: [
          { digits: '74951234567', source: 'work' },
          { digits: '79161234567', source: 'mobile' },
          { digits: '74957654321', source: 'personal' },
        ],
        rejected: [],
      },
    ],
    [
      'duplicates keep the first occurrence',
      { WORK_PHONE: '8 916 123 45 67', PERSONAL_MOBILE: '+7 (916) 123-45-67', PERSONAL_PHONE: '79161234567' },
      { phones: [{ digits: '79161234567', source: 'work' }], rejected: [] },
    ],
    [
      'empty values are neither phones nor rejected',
      { WORK_PHONE: '', PERSONAL_MOBILE: '   ', PERSONAL_PHONE: null },
      { phones: [], rejected: [] },
    ],
    ['missing fields', {}, { phones: [], rejected: [] }],
    [
      'rejected values are reported with their field',
      { WORK_PHONE: 'нет', PERSONAL_MOBILE: '8 916 123 45 67', PERSONAL_PHONE: '123' },
      {
        phones: [{ digits: '79161234567', source: 'mobile' }],
        rejected: [
          { field: 'WORK_PHONE', value: 'нет', reason: 'not_a_phone_number' },
          { field: 'PERSONAL_PHONE', value: '123', reason: 'not_a_phone_number' },
        ],
      },
    ],
    [
      'several numbers in one field are split on "," and ";", order kept',
      { WORK_PHONE: '+7 495 123 45 67, 8 916 123 45 67; +1 212 555 0100' },
      {
        phones: [
          { digits: '74951234567', source: 'work' },
          { digits: '79161234567', source: 'work' },
          { digits: '12125550100', source: 'work' },
        ],
        rejected: [],
      },
    ],
    [
      'an extension after a comma is dropped, not taken for a second number',
      { WORK_PHONE: '8 (495) 123-45-67, доб. 12' },
      { phones: [{ digits: '74951234567', source: 'work' }], rejected: [] },
    ],
    [
      'a bad piece is reported alone, the good piece is kept',
      { PERSONAL_MOBILE: '8 916 123 45 67, спросить у секретаря' },
      {
        phones: [{ digits: '79161234567', source: 'mobile' }],
        rejected: [{ field: 'PERSONAL_MOBILE', value: 'спросить у секретаря', reason: 'not_a_phone_number' }],
      },
    ],
    [
      'trailing separators leave no empty rejections',
      { WORK_PHONE: '8 916 123 45 67;;', PERSONAL_PHONE: ', ' },
      { phones: [{ digits: '79161234567', source: 'work' }], rejected: [] },
    ],
  ])('%s', (_name, user, expected) => {
    expect(collectPhones(user, 'RU')).toEqual(expected);
  });
});

describe('normalizeExtension', () => {
  it.each<[unknown, string | null]>([
    ['123', '123'],
    [' 1-23 ', '123'],
    ['доб. 45', '45'],
    [101, '101'],
    ['007', '007'],
    ['1234567890', '1234567890'],
    ['12345678901', null], // longer than 10 digits
    ['101, 102', '101'], // several extensions: the first, never glued
    ['нет', null],
    ['', null],
    ['   ', null],
    [null, null],
    [undefined, null],
    [{}, null],
  ])('%j → %j', (raw, expected) => {
    expect(normalizeExtension(raw)).toBe(expected);
  });
});
