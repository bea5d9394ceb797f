import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { catalogKeys, CATALOGS, createTranslator, detectLocale, isPluralMessage, LOCALES, pluralForms } from './i18n';

const APP = join(__dirname, '..');

function sources(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path, ext);
    return ext.test(name) && !/\.spec\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Attributes a person reads or hears: they must come from the catalogs too. */
const TEXT_ATTRIBUTES = new Set(['aria-label', 'title', 'placeholder', 'alt', 'label', 'aria-description', 'aria-valuetext']);

/** Text written straight into JSX (a text node, or a string in a read attribute) that holds a letter. */
function literalTexts(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const letters = /\p{L}/u;
  // The Bitrix24 badge shows the import's own tag, which is data (seeds/002), not wording.
  const allowed = new Set(['(bitrix24)', 'B24']);
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node)) {
      const text = node.getText().trim();
      if (text && letters.test(text) && !allowed.has(text)) found.push(`${relative(APP, file)}: text "${text}"`);
    }
    if (ts.isJsxAttribute(node) && node.initializer && ts.isStringLiteral(node.initializer)) {
      const name = node.name.getText();
      if (TEXT_ATTRIBUTES.has(name) && letters.test(node.initializer.text)) found.push(`${relative(APP, file)}: ${name}="${node.initializer.text}"`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('message catalogs', () => {
  it('have the same keys in every language, grouped, in snake_case', () => {
    const english = catalogKeys('en').sort();
    expect(english.length).toBeGreaterThan(300);
    for (const locale of LOCALES) {
      expect({ locale, keys: catalogKeys(locale).sort() }).toEqual({ locale, keys: english });
      for (const key of catalogKeys(locale)) expect(key).toMatch(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/);
    }
  });

  it('give each plural message the forms its language needs, and the same placeholders in every language', () => {
    for (const locale of LOCALES) {
      const needed = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
      for (const key of catalogKeys('en')) {
        expect({ locale, key, plural: isPluralMessage(locale, key) }).toEqual({ locale, key, plural: isPluralMessage('en', key) });
        if (isPluralMessage(locale, key)) expect({ locale, key, forms: needed.filter((f) => !pluralForms(locale, key).includes(f)) }).toEqual({ locale, key, forms: [] });
      }
    }
    const placeholders = (text: unknown) => [...new Set(JSON.stringify(text).match(/\{\w+\}/g) ?? [])].filter((p) => p !== '{count}').sort();
    for (const [group, messages] of Object.entries(CATALOGS.en)) {
      for (const [key, text] of Object.entries(messages)) {
        expect({ key: `${group}.${key}`, ru: placeholders(CATALOGS.ru[group][key]) }).toEqual({ key: `${group}.${key}`, ru: placeholders(text) });
      }
    }
  });

  it('the literal-text check finds text nodes and read attributes (so an empty answer means something)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'literal-'));
    try {
      const file = join(dir, 'sample.tsx');
      writeFileSync(file, `export const A = () => <p title="Hello" data-x="ok">Сохранить {x} — </p>;`);
      expect(literalTexts(file).map((f) => f.replace(/^.*: /, ''))).toEqual(['title="Hello"', 'text "Сохранить"']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('are used: every component text comes from them, none is written in a component', () => {
    const files = sources(APP, /\.tsx$/);
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap(literalTexts)).toEqual([]);
  });

  it('hold every key the code asks for', () => {
    const used = new Set<string>();
    for (const file of sources(APP, /\.tsx?$/)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/'([a-z_]+\.[a-z0-9_]+)'/g)) if (m[1].split('.')[0] in CATALOGS.en) used.add(m[1]);
    }
    const known = new Set(catalogKeys('en'));
    expect([...used].filter((k) => !known.has(k))).toEqual([]);
  });

  it('speak Bitrix24’s own Russian', () => {
    const ru = createTranslator('ru');
    expect(ru('tabs.employees')).toBe('Сотрудники');
    expect(ru('tabs.responsible')).toBe('Ответственные сотрудники');
    expect(ru('data_access.synchronize')).toBe('Синхронизировать');
    expect(ru('employees.filter_dismissed')).toBe('Показать уволенных');
  });
});

describe('translator', () => {
  const en = createTranslator('en');
  const ru = createTranslator('ru');

  it('fills placeholders, formatting numbers in the locale', () => {
    expect(en('progress.processed_of', { processed: 1234, total: 2000 })).toBe('1,234 of 2,000 Bitrix24 users processed');
    expect(ru('progress.processed_of', { processed: 1234, total: 2000 })).toBe('Обработано 1\u00a0234 из 2\u00a0000 пользователей Битрикс24');
  });

  it.each([
    [1, '1 сотрудник (показано 1)'],
    [3, '3 сотрудника (показано 3)'],
    [5, '5 сотрудников (показано 5)'],
    [21, '21 сотрудник (показано 21)'],
    [112, '112 сотрудников (показано 112)'],
  ])('chooses the Russian plural form for %i', (count, text) => {
    expect(ru('employees.total', { count, shown: String(count) })).toBe(text);
  });

  it('uses English plurals', () => {
    expect(en('employees.total', { count: 1, shown: '1' })).toBe('1 employee (1 shown)');
    expect(en('employees.total', { count: 2, shown: '2' })).toBe('2 employees (2 shown)');
  });

  it.each([
    [null, ['ru-RU', 'en'], 'ru'],
    [null, ['de-DE', 'en-GB'], 'en'],
    [null, ['uk', 'fr'], 'en'],
    ['ru', ['en-US'], 'ru'],
    ['en', ['ru'], 'en'],
    ['xx', ['ru'], 'ru'],
  ])('picks the language: stored %p, browser %p → %s', (stored, languages, locale) => {
    expect(detectLocale(stored, languages)).toBe(locale);
  });
});
