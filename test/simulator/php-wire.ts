/**
 * The PHP side of the wire. Bitrix24 is a PHP application: it reads form and query
 * parameters the way PHP's parse_str() does (bracket keys build nested arrays), writes
 * JSON the way json_encode() does (an empty array is `[]`, an array with keys 0..n-1 is a
 * JSON list, any other array is an object), posts event handlers a body built by
 * http_build_query(), and treats a boolean parameter that arrives as a string by PHP
 * truthiness. These helpers reproduce exactly that and nothing more.
 */

/** A parsed PHP array: insertion-ordered, string keys (PHP's integer keys as decimal strings). */
export type PhpArray = Map<string, PhpValue>;
export type PhpValue = string | PhpArray;

function urldecode(text: string): string {
  const plus = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    // PHP decodes what it can and leaves a malformed %xx as it is.
    return plus.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

function nextIndex(target: PhpArray): string {
  let max = -1;
  for (const key of target.keys()) {
    if (/^(0|-?[1-9]\d*)$/.test(key)) max = Math.max(max, Number(key));
  }
  return String(max + 1);
}

/** Splits `a[b][c][]` into the base name and its bracket segments, as PHP does. */
function splitKey(rawKey: string): { base: string; segments: string[] } {
  const key = rawKey.replace(/^ +/, '');
  const open = key.indexOf('[');
  if (open <= 0) {
    // No brackets (or a key that starts with one): PHP mangles ' ', '.' and '[' in the name.
    return { base: key.replace(/[ .[]/g, '_'), segments: [] };
  }
  const segments: string[] = [];
  let rest = key.slice(open);
  let tail = '';
  while (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) {
      tail = rest;
      break;
    }
    segments.push(rest.slice(1, close));
    rest = rest.slice(close + 1);
  }
  const base = key.slice(0, open).replace(/[ .]/g, '_');
  if (tail && segments.length === 0) return { base: (base + '_' + tail.slice(1)).replace(/[ .]/g, '_'), segments: [] };
  return { base, segments };
}

/** PHP's parse_str(): `FILTER[>ID]=5&cmd[u0]=user.get%3Fstart%3D0&x[]=1&x[]=2`. */
export function parsePhpQuery(query: string, into: PhpArray = new Map()): PhpArray {
  if (!query) return into;
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = urldecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : urldecode(pair.slice(eq + 1));
    if (!rawKey) continue;
    const { base, segments } = splitKey(rawKey);
    if (!base) continue;
    if (segments.length === 0) {
      into.set(base, value);
      continue;
    }
    let node = into.get(base);
    if (!(node instanceof Map)) {
      node = new Map();
      into.set(base, node);
    }
    let target: PhpArray = node;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i] === '' ? nextIndex(target) : segments[i];
      if (i === segments.length - 1) {
        target.set(segment, value);
      } else {
        let child = target.get(segment);
        if (!(child instanceof Map)) {
          child = new Map();
          target.set(segment, child);
        }
        target = child;
      }
    }
  }
  return into;
}

/** A parsed PHP array as plain JS: maps become objects (key order of integer-like keys is JS's). */
export function phpToPlain(value: unknown): unknown {
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) out[key] = phpToPlain(item);
    return out;
  }
  return value;
}

/**
 * What json_encode() would print for a PHP array held in a Map: `[]` when empty, a JSON
 * list when the keys are exactly 0..n-1 in order, otherwise an object. Plain JS values
 * pass through (a plain `{}` stays `{}`, which is how PHP prints an empty object).
 */
export function phpJsonValue(value: unknown): unknown {
  if (value instanceof Map) {
    let sequential = true;
    let index = 0;
    for (const key of value.keys()) {
      if (key !== String(index++)) {
        sequential = false;
        break;
      }
    }
    if (sequential) return [...value.values()].map(phpJsonValue);
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) out[key] = phpJsonValue(item);
    return out;
  }
  return value;
}

/** PHP truthiness of a parameter: only '', '0', 0, false, null and empty arrays are false ("false" is true). */
export function phpTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '' && value !== '0';
  if (value instanceof Map) return value.size > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

function phpUrlencode(text: string): string {
  // urlencode(): RFC 1738 — space becomes '+', and '~' is escaped as PHP does.
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * PHP's http_build_query(): nested keys as `data[UF_DEPARTMENT][0]=1`, booleans as 1/0,
 * null and empty arrays left out. This is how Bitrix24 encodes event POST bodies.
 */
export function phpHttpBuildQuery(data: Record<string, unknown>): string {
  const parts: string[] = [];
  const walk = (prefix: string, value: unknown): void => {
    if (value === null || value === undefined) return;
    if (value instanceof Map) {
      for (const [key, item] of value) walk(`${prefix}[${key}]`, item);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(`${prefix}[${index}]`, item));
      return;
    }
    if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) walk(`${prefix}[${key}]`, item);
      return;
    }
    const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    parts.push(`${phpUrlencode(prefix)}=${phpUrlencode(text)}`);
  };
  for (const [key, value] of Object.entries(data)) walk(key, value);
  return parts.join('&');
}

/** A list from a parameter that may be a JSON array, a parsed PHP array (object/Map) or a scalar. */
export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (value instanceof Map) return [...value.values()];
  if (typeof value === 'object') return Object.values(value as Record<string, unknown>);
  return [value];
}

/**
 * PHP's intval(): a string gives its leading integer ("12abc" → 12, "abc" → 0), a float is
 * truncated, true is 1, null/false 0, and an array is 1 when it has elements, else 0.
 * Bitrix24 runs ID filter values through it (rest/lib/api/user.php prepareUserValue, and
 * CSQLWhere::addIntFilter's array_map('intval')).
 */
export function phpIntval(value: unknown): number {
  if (value === undefined || value === null || value === false) return 0;
  if (value === true) return 1;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === 'string') {
    const match = /^\s*[+-]?\d+/.exec(value);
    return match ? Number(match[0]) : 0;
  }
  if (value instanceof Map) return value.size > 0 ? 1 : 0;
  if (Array.isArray(value)) return value.length > 0 ? 1 : 0;
  if (typeof value === 'object') return Object.keys(value).length > 0 ? 1 : 0;
  return 0;
}
