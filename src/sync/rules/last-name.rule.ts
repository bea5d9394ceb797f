/**
 * The "(bitrix24)" last-name tag. seeds/002 item 2 ("Last Name Format"): an imported employee's
 * last name is written as "(bitrix24) <last name>", both when the employee is created and when
 * an existing one is updated. Because updates re-tag a value that may already carry the tag
 * (ours, or one a person typed by hand in either system), tagging must be idempotent.
 */

export const BITRIX24_TAG = '(bitrix24)';

/** Any number of leading tags, any case, with or without spaces around them. */
const LEADING_TAGS = /^(?:\s*\(\s*bitrix24\s*\)\s*)+/i;

/** Collapses whitespace runs (including non-breaking spaces and tabs) to one space. */
function tidy(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/**
 * The bare last name: leading tags removed, whitespace collapsed and trimmed. Only a leading
 * tag is ours; "(bitrix24)" elsewhere in the value is part of someone's name and stays.
 */
export function untagLastName(value: string): string {
  return tidy(value.replace(LEADING_TAGS, ''));
}

/**
 * "(bitrix24) Ivanov". Never tagged twice: "(Bitrix24)(bitrix24) Ivanov" → "(bitrix24) Ivanov".
 * An empty bare name yields the tag alone ("(bitrix24)") rather than a trailing space; the
 * required-fields rule rejects such users before they are written, so this is only a total
 * function's answer, not a value we expect to store.
 */
export function tagLastName(lastName: string): string {
  const bare = untagLastName(lastName);
  return bare === '' ? BITRIX24_TAG : `${BITRIX24_TAG} ${bare}`;
}
