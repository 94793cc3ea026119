/**
 * The secret shapes redacted from command output before anyone sees it.
 *
 * Each rule's pattern is bounded in length (no unbounded `+`/`*`), so the streaming redactor can keep a finite
 * carry-over window and still see every secret whole. Rules whose pattern starts with a label
 * (`aws_secret_access_key=`) put the secret in the last capture group; only that group is replaced, so the
 * reader still sees which setting was present.
 */

/** Kinds of secret the redactor recognises; shown in the redaction marker and counted for the audit. */
export const SECRET_KINDS = {
  awsAccessKeyId: 'aws-access-key-id',
  awsSecretAccessKey: 'aws-secret-access-key',
  awsSessionToken: 'aws-session-token',
  slackToken: 'slack-token',
  privateKey: 'private-key',
  jwt: 'jwt',
} as const;

/** One of the `SECRET_KINDS` values. */
export type SecretKind = (typeof SECRET_KINDS)[keyof typeof SECRET_KINDS];

/** A recognisable secret shape. */
export interface SecretRule {
  readonly kind: SecretKind;
  /** For a rule that matches several shapes at once: the kind of one match (default `kind`). */
  kindOf?(match: string): SecretKind;
  /** Global regular expression; when it has capture groups, the last one is the secret. */
  readonly pattern: RegExp;
  /** Matches the unfinished start of this secret at the very end of the text (`$`-anchored). */
  readonly partial?: RegExp;
  /**
   * A cheap test every text containing a match passes; the pattern only runs where it does. A case-insensitive
   * literal search is several times faster than the labelled patterns, and most output has no label at all.
   */
  readonly prefilter?: RegExp;
}

/** Longest text any rule can match; the redactor's carry-over window must be larger. */
export const MAX_SECRET_MATCH_CHARS = 7_900;

const LABEL_GAP = String.raw`["']?\s{0,8}[:=]\s{0,8}["']?`;
const VALUE_CHARS = '[A-Za-z0-9/+=%._~-]';

/** A label such as `aws_secret_access_key`, then `=`/`:` (env, ini, YAML, JSON), then the secret value. */
function labelled(labels: string, minValue: number, maxValue: number): RegExp {
  return new RegExp(`(?:${labels})${LABEL_GAP}(${VALUE_CHARS}{${minValue},${maxValue}})`, 'gi');
}

function labelledPartial(labels: string): RegExp {
  return new RegExp(`(?:${labels})${LABEL_GAP}${VALUE_CHARS}*$`, 'i');
}

const SECRET_KEY_LABELS = 'aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key';
const SESSION_TOKEN_LABELS = 'aws_?session_?token|aws_?security_?token|session_?token|x-amz-security-token|"token"';
const ACCESS_KEY_ID_LABELS = 'aws_?access_?key_?id|access_?key_?id';

const PEM_HEADER = '-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----';

/** The rules, in priority order: when two matches overlap, the earlier one here names the marker. */
export const SECRET_RULES: readonly SecretRule[] = [
  {
    kind: SECRET_KINDS.privateKey,
    // A key block is replaced whole. Without its END line (cut off, or not yet arrived) the base64 body that
    // follows the header is replaced anyway: a partial private key is still a secret.
    pattern: new RegExp(
      String.raw`${PEM_HEADER}(?:[\s\S]{0,7000}?-----END (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:,.-]{0,7000})`,
      'g',
    ),
  },
  {
    kind: SECRET_KINDS.awsSecretAccessKey,
    pattern: labelled(SECRET_KEY_LABELS, 8, 1024),
    partial: labelledPartial(SECRET_KEY_LABELS),
  },
  {
    kind: SECRET_KINDS.awsSessionToken,
    pattern: labelled(SESSION_TOKEN_LABELS, 8, 4096),
    partial: labelledPartial(SESSION_TOKEN_LABELS),
    prefilter: /token/i,
  },
  {
    kind: SECRET_KINDS.awsAccessKeyId,
    pattern: labelled(ACCESS_KEY_ID_LABELS, 16, 128),
    partial: labelledPartial(ACCESS_KEY_ID_LABELS),
  },
  {
    // Access key ids, Slack tokens and JWTs are recognisable on their own; one pattern for the three scans the
    // output once instead of three times.
    kind: SECRET_KINDS.awsAccessKeyId,
    kindOf: tokenShapeKind,
    pattern: new RegExp(
      [
        String.raw`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`,
        String.raw`\bx(?:ox[a-z]|app)-[A-Za-z0-9-]{6,1024}`,
        String.raw`\beyJ[A-Za-z0-9_-]{4,1024}\.[A-Za-z0-9_-]{4,4096}\.[A-Za-z0-9_-]{0,1024}`,
      ].join('|'),
      'g',
    ),
    partial: new RegExp(
      [
        String.raw`\b(?:AKIA|ASIA)[A-Z0-9]{0,15}$`,
        String.raw`\bx(?:ox[a-z]|app)-[A-Za-z0-9-]*$`,
        String.raw`\beyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}$`,
      ].join('|'),
    ),
  },
];

function tokenShapeKind(match: string): SecretKind {
  if (match.startsWith('x')) return SECRET_KINDS.slackToken;
  if (match.startsWith('e')) return SECRET_KINDS.jwt;
  return SECRET_KINDS.awsAccessKeyId;
}

/** The text that replaces a secret of the given kind. */
export function redactionMarker(kind: SecretKind): string {
  return `[REDACTED ${kind}]`;
}
