/**
 * "Last First" without the "(bitrix24)" tag, as SQL over an employee row alias: the name a
 * report shows for a person (seeds/002 item 2 adds the tag to the stored last name).
 */
export const untaggedNameSql = (alias: string): string =>
  `btrim(regexp_replace(${alias}.last_name, '^\\s*(\\(bitrix24\\)\\s*)+', '', 'i') || ' ' || ${alias}.first_name)`;
