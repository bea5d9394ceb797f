/**
 * Removes secrets from anything about to be logged. Keys that name a secret are
 * replaced whole; strings are scrubbed of bearer keys, OAuth parameters and the
 * secret path segment of Bitrix24 incoming-webhook URLs (`/rest/<user>/<secret>/`).
 */
// Not `code`: error codes must stay readable in logs. An OAuth code only ever travels in
// a URL or query string, which SECRET_PATTERNS scrubs (`code=…`).
const SECRET_KEY = /(pass(word)?|secret|token|authorization|api[-_]?key|cookie|^state$|^auth$|^key$|webhook_?url|credential)/i;

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]'],
  [/((?:access_token|refresh_token|application_token|client_secret|code|state|auth)=)[^&\s"']+/gi, '$1[redacted]'],
  [/(\/rest\/\d+\/)[A-Za-z0-9]+/g, '$1[redacted]'],
  [/(b24s_[a-z]+_)[A-Za-z0-9_-]+/g, '$1[redacted]'],
  [/(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+@/gi, '$1[redacted]@'],
];

export function redactString(text: string): string {
  return SECRET_PATTERNS.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text);
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), stack: value.stack ? redactString(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEY.test(key) && item !== null && item !== undefined && typeof item !== 'boolean' ? '[redacted]' : redact(item, depth + 1);
  }
  return out;
}
