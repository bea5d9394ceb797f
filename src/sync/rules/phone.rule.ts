/**
 * Phone rules. seeds/002 item 4: a Bitrix24 employee's numbers are added in the order work
 * number, personal mobile, personal landline; item 5: only digits are kept. Bitrix24 stores
 * WORK_PHONE, PERSONAL_MOBILE, PERSONAL_PHONE and UF_PHONE_INNER as free text
 * (api-reference/user/index.md, api-reference/user/user-get.md), so people type national
 * formats, brackets, extensions and sometimes two numbers in one field.
 *
 * Metadata flavour, measured on libphonenumber-js 1.13.16: isPossible() and the parsed number
 * were identical between 'min' and 'max' over 60,000 random numbers in 20 countries and every
 * +7 three-digit range; isValid() disagreed on ~10% of them (e.g. +7 930 003-80-00 is valid
 * with 'min', invalid with 'max'). We decide on isPossible() (see normalizePhone), so the
 * flavour does not change our answers; 'max' is used so that the parse (and anyone who later
 * asks for a number's type) sees the most complete metadata.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Bitrix24User } from '../../bitrix24/bitrix24-user';

export type { CountryCode };

export type PhoneNormalization = { ok: true; digits: string } | { ok: false; reason: 'empty' | 'not_a_phone_number' };

export type PhoneSource = 'work' | 'mobile' | 'personal';
export type PhoneField = 'WORK_PHONE' | 'PERSONAL_MOBILE' | 'PERSONAL_PHONE';

export interface CollectedPhones {
  phones: Array<{ digits: string; source: PhoneSource }>;
  rejected: Array<{ field: PhoneField; value: string; reason: 'not_a_phone_number' }>;
}

/** seeds/002 item 4: work number, personal mobile, personal landline, in this order. */
const PHONE_FIELDS: ReadonlyArray<readonly [PhoneField, PhoneSource]> = [
  ['WORK_PHONE', 'work'],
  ['PERSONAL_MOBILE', 'mobile'],
  ['PERSONAL_PHONE', 'personal'],
];

/**
 * An extension suffix: "доб. 12", "доб 12", "добавочный 12", "вн. 12", "внутр. 12",
 * "ext 5", "ext. 5", "extension 5", "x5" (Latin or Cyrillic х), "#5". Removed before parsing so
 * its digits are never glued onto the number (libphonenumber knows some of these markers but
 * not "вн.", and gives up on the whole value). The look-behind keeps "fax" and "box" intact.
 */
const EXTENSION = /(?<!\p{L})(?:доб(?:авочный)?|вн(?:утр(?:енний)?)?|ext(?:ension)?|x|х|#)\s*[.:]?\s*\d{1,10}(?!\d)/giu;

/** Separators between several numbers typed into one field (see collectPhones). */
const NUMBER_SEPARATOR = /[,;\n]/;

function asText(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw === 'bigint') return String(raw);
  return null;
}

/**
 * One number → digits in international form (country calling code first, no "+"), e.g.
 * "8 (495) 123-45-67" with RU → "74951234567". National formats are read with
 * defaultCountry (the portal's country).
 *
 * Possible, not valid: a number is accepted when libphonenumber finds it *possible* (right
 * length for its country) even if it is not *valid* (not in a range the metadata knows).
 * Validity depends on the metadata flavour and version: operators open new ranges before the
 * library ships them (+7 930 003-80-00, in the 930 mobile block, is outside the sub-ranges the
 * 'max' metadata lists and is called invalid, while 'min' calls it valid),
 * and dropping a real employee's number silently is worse than keeping a well-formed number
 * nobody answers, which an admin can see and fix. Lengths are stable, so the check is:
 * too short or too long → not_a_phone_number. A local number without its area code
 * ("123-45-67") cannot be completed and is rejected as too short.
 */
export function normalizePhone(raw: unknown, defaultCountry: CountryCode): PhoneNormalization {
  const text = asText(raw);
  if (text === null) return raw === null || raw === undefined ? { ok: false, reason: 'empty' } : { ok: false, reason: 'not_a_phone_number' };
  if (text.trim() === '') return { ok: false, reason: 'empty' };
  const withoutExtension = text.replace(EXTENSION, ' ').trim();
  if (!/\d/.test(withoutExtension)) return { ok: false, reason: 'not_a_phone_number' };
  const parsed = parsePhoneNumberFromString(withoutExtension, defaultCountry);
  if (!parsed || !parsed.isPossible()) return { ok: false, reason: 'not_a_phone_number' };
  // Built from the parts, never from the input, so a leftover extension cannot leak in.
  return { ok: true, digits: `${parsed.countryCallingCode}${parsed.nationalNumber}` };
}

/**
 * All numbers of a Bitrix24 user in seeds/002 order (work, mobile, personal), digits only,
 * duplicates dropped (the first occurrence keeps its source).
 *
 * A field is split on "," ";" and newlines: Bitrix24 keeps these fields as one free-text
 * string and people do type "+7 916 …, +7 495 …"; parsed whole, such a value is rejected and
 * both numbers are lost. Extensions are removed before splitting, so "…, доб. 12" does not
 * become a bogus second number. A rejected entry reports the failing piece, not the whole field.
 * Empty values and empty pieces are neither phones nor rejected.
 */
export function collectPhones(
  user: Pick<Bitrix24User, 'WORK_PHONE' | 'PERSONAL_MOBILE' | 'PERSONAL_PHONE'>,
  defaultCountry: CountryCode,
): CollectedPhones {
  const result: CollectedPhones = { phones: [], rejected: [] };
  const seen = new Set<string>();
  for (const [field, source] of PHONE_FIELDS) {
    const text = asText(user[field]);
    if (text === null) continue;
    for (const piece of text.replace(EXTENSION, ' ').split(NUMBER_SEPARATOR)) {
      const value = piece.trim();
      const outcome = normalizePhone(value, defaultCountry);
      if (outcome.ok) {
        if (!seen.has(outcome.digits)) {
          seen.add(outcome.digits);
          result.phones.push({ digits: outcome.digits, source });
        }
      } else if (outcome.reason === 'not_a_phone_number') {
        result.rejected.push({ field, value, reason: 'not_a_phone_number' });
      }
    }
  }
  return result;
}

/** Extensions longer than this are not extensions (a full number typed into the field). */
const MAX_EXTENSION_DIGITS = 10;

/**
 * UF_PHONE_INNER ("Internal Phone", api-reference/user/user-fields.md) → digits only, or null
 * when there are none or more than 10. Bitrix24 may send it as a number or a string. When the
 * field lists several extensions ("101, 102") only the first is kept: digits-only over the
 * whole value would glue them into "101102", an extension nobody has.
 */
export function normalizeExtension(raw: unknown): string | null {
  const text = asText(raw);
  if (text === null) return null;
  const first = text.split(NUMBER_SEPARATOR).find((piece) => /\d/.test(piece)) ?? '';
  const digits = first.replace(/\D/g, '');
  if (digits === '' || digits.length > MAX_EXTENSION_DIGITS) return null;
  return digits;
}
