import en from './en.json';
import ru from './ru.json';

/**
 * Message catalogs: English is the source (en.json), Russian follows (ru.json); one flat
 * group per tab, snake_case keys (STYLE.md, the console). A plural message is an object of
 * Intl.PluralRules categories ({ one, few, many, other }); `{name}` is a placeholder, and a
 * number put in one is formatted in the chosen locale.
 */
export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];

export type Plural = { one?: string; two?: string; few?: string; many?: string; zero?: string; other: string };
type Catalog = typeof en;
type Leaf = string | Plural;

/** 'group.key' for every message of the English catalog: a typo is a compile error. */
export type MessageKey = {
  [G in keyof Catalog]: `${G & string}.${keyof Catalog[G] & string}`;
}[keyof Catalog];

export type Vars = Record<string, string | number | null | undefined>;
export type Translate = (key: MessageKey, vars?: Vars) => string;

export const CATALOGS: Record<Locale, Record<string, Record<string, Leaf>>> = { en, ru };

const isPlural = (leaf: Leaf | undefined): leaf is Plural => typeof leaf === 'object' && leaf !== null && 'other' in leaf;

function lookup(locale: Locale, key: string): Leaf | undefined {
  const dot = key.indexOf('.');
  const group = CATALOGS[locale][key.slice(0, dot)];
  return group ? group[key.slice(dot + 1)] : undefined;
}

/** A translator for one locale: missing Russian text falls back to English, a missing key shows the key. */
export function createTranslator(locale: Locale): Translate {
  const numbers = new Intl.NumberFormat(locale);
  const plurals = new Intl.PluralRules(locale);
  return (key, vars) => {
    let leaf = lookup(locale, key) ?? lookup('en', key);
    if (leaf === undefined) return key;
    if (isPlural(leaf)) {
      const count = Number(vars?.count ?? 0);
      leaf = leaf[plurals.select(count)] ?? leaf.other;
    }
    return leaf.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const value = vars?.[name];
      if (value === undefined || value === null) return whole;
      return typeof value === 'number' ? numbers.format(value) : value;
    });
  };
}

/** Keys, in 'group.key' form, of one catalog (the completeness test compares them). */
export function catalogKeys(locale: Locale): string[] {
  return Object.entries(CATALOGS[locale]).flatMap(([group, messages]) => Object.keys(messages).map((k) => `${group}.${k}`));
}

export function isPluralMessage(locale: Locale, key: string): boolean {
  return isPlural(lookup(locale, key));
}

export function pluralForms(locale: Locale, key: string): string[] {
  const leaf = lookup(locale, key);
  return isPlural(leaf) ? Object.keys(leaf) : [];
}

/** A key built at run time (an API code such as a skip reason): undefined when the catalog has no text for it. */
export function knownKey(group: keyof Catalog, code: string | null | undefined): MessageKey | undefined {
  if (!code || !/^[a-z0-9_]+$/i.test(code)) return undefined;
  const normalized = code.toLowerCase();
  return Object.prototype.hasOwnProperty.call(en[group], normalized) ? (`${group}.${normalized}` as MessageKey) : undefined;
}

const LOCALE_STORAGE = 'b24sync.locale';

/** The remembered choice, else the browser's first language we have, else English. */
export function detectLocale(stored: string | null, languages: readonly string[]): Locale {
  if (stored && (LOCALES as readonly string[]).includes(stored)) return stored as Locale;
  for (const language of languages) {
    const base = language.toLowerCase().split('-')[0];
    if ((LOCALES as readonly string[]).includes(base)) return base as Locale;
  }
  return 'en';
}

export function storedLocale(): string | null {
  try {
    return localStorage.getItem('b24sync.locale');
  } catch {
    return null;
  }
}

/** Only the language is remembered across visits; the API key stays in sessionStorage. */
export function rememberLocale(locale: Locale): void {
  try {
    localStorage.setItem('b24sync.locale', locale);
  } catch {
    /* private mode: the choice lasts for this page */
  }
}

export { LOCALE_STORAGE };
