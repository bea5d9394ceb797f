/**
 * Serializes parameters the way PHP's http_build_query does (`FILTER[>ID]=5`,
 * `cmd[u0]=…`), which is how batch sub-commands carry their parameters
 * (api-reference/how-to-call-rest-api/batch.md). Booleans become "true"/"false"
 * strings here, and Bitrix24 reads any non-empty string as true: never put a false
 * flag into a query string — leave it out instead.
 */
export function buildPhpQuery(params: Record<string, unknown>): string {
  const parts: string[] = [];
  const add = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => add(`${key}[${index}]`, item));
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) add(`${key}[${k}]`, v);
    } else {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
    }
  };
  for (const [key, value] of Object.entries(params)) add(key, value);
  return parts.join('&');
}
