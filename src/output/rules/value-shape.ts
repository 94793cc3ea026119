/**
 * Tests on a value found next to a secret-sounding name, so that `PASSWORD_MIN_LENGTH=12`, `TOKEN_TTL_SECONDS=3600`
 * or `password: ${DB_PASSWORD}` stay readable while `DB_PASSWORD=hunter2` does not.
 */

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * The last word of a setting's name says it holds something about a secret, not the secret itself:
 * `PASSWORD_MIN_LENGTH`, `TOKEN_TTL_SECONDS`, `SECRET_NAME`, `KEY_FILE`, `AWS_ACCESS_KEY_ID`.
 */
const DESCRIBES_A_SECRET =
  /(?:^|[_.-])(?:min|max|length|len|ttl|seconds?|secs?|ms|minutes?|hours?|days?|timeout|expiry|expires?|expiration|lifetime|age|file|path|dir|url|uri|endpoint|host|port|name|type|kind|enabled|disabled|required|enforced|policy|count|size|bytes|header|field|param|id|ids|arn|version|format|mode|algorithm|alg|prefix|suffix|hint|reset|rotation|rotated|strength|pattern|regex|location|source|ref|env|var|provider|store|backend|manager|issuer|audience|scope|scopes|method|fingerprint|length_min|chars)$/i;

/** Values that are not secrets whatever their label: numbers, booleans, references and placeholders. */
const NOT_A_SECRET_VALUE = new RegExp(
  [
    String.raw`^-?\d+(?:\.\d+)?(?:ms|s|m|h|d|k|kb|mb|gb|%)?$`, // 12, 3600, 30s, 1.5
    String.raw`^(?:true|false|yes|no|on|off|null|nil|none|undefined|empty|required|optional|enabled|disabled|n\/a)$`,
    String.raw`^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$`, // $VAR, ${VAR}
    String.raw`^\$\{\{?.{0,200}\}\}?$`, // ${{ secrets.X }}, ${file:...}
    '^%[A-Za-z_][A-Za-z0-9_]*%$', // %VAR%
    String.raw`^\{\{.{0,200}\}\}$`, // {{ template }}
    '^<[^<>]{0,100}>$', // <your-token>
    String.raw`^\[REDACTED[^\]]{0,64}\]`, // already redacted
    String.raw`^(?:\*+|x+|X+|\.+|-+|_+|#+|•+)$`, // ****, xxxx
    '^(?:redacted|masked|hidden|placeholder)$',
    String.raw`^\/(?:[A-Za-z0-9._-]+\/?)+$`, // /run/secrets/db (a path)
    String.raw`^[a-z][a-z0-9+.-]{1,20}:\/\/[^:@\s]*$`, // a URL without credentials
  ].join('|'),
  'i',
);

/** Whether a value next to a secret-sounding label is a secret at all. */
export function isSecretValue(label: string, value: string): boolean {
  if (DESCRIBES_A_SECRET.test(label)) return false;
  if (value.length < 3 || NOT_A_SECRET_VALUE.test(value)) return false;
  return true;
}

/**
 * Labels that only say "key" or "auth" are common in ordinary output (`key: app.kubernetes.io/name`), so their value
 * must also look generated: long, letters and digits mixed, and random enough.
 */
export function looksGenerated(value: string, minLength = 16): boolean {
  return (
    value.length >= minLength &&
    /^[A-Za-z0-9+/=_~.-]+$/.test(value) &&
    /\d/.test(value) &&
    /[A-Za-z]/.test(value) &&
    shannonEntropy(value) >= 3.2
  );
}

/** What a labelled secret is called in the marker, from the words of its label. */
export function kindOfLabel(label: string): string {
  const lower = label.toLowerCase();
  if (/pass|pwd/.test(lower)) return 'password';
  if (/private/.test(lower)) return 'private-key';
  if (/secret/.test(lower)) return 'secret';
  if (/token/.test(lower)) return 'token';
  if (/cred/.test(lower)) return 'credential';
  if (/key/.test(lower)) return 'api-key';
  return 'auth';
}
