import { BASE64, fakeChars, type SecretRuleSpec, s } from './rule-spec.js';
import { isSecretValue, kindOfLabel, looksGenerated } from './value-shape.js';

/**
 * Secrets recognised by where they stand rather than by a provider's prefix: key blocks, JWTs, credentials in URLs
 * and headers, and values of settings whose name says secret.
 */

const PEM_BODY = `MIIEpAIBAAKCAQEA7${fakeChars(56, BASE64, 3)}`;
const PEM_HEADER = '-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----';
const JWT = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QiLCJpYXQiOjE3MDAwMDAwMDB9.${fakeChars(43, `${BASE64.slice(0, 62)}_-`, 5)}`;

/** Words that make a setting's value a secret; each is also the keyword that wakes the rule up. */
const SECRET_WORDS = ['pass', 'pwd', 'secret', 'token', 'key', 'cred', 'auth', 'private'];
const WORDS = SECRET_WORDS.join('|');
const LABEL = `([A-Za-z0-9_.-]{0,64}(?:${WORDS})[A-Za-z0-9_.-]{0,64})`;
/** A quoted value may hold spaces; an unquoted one ends at a space, quote, comma, semicolon or `&`. */
const VALUE = String.raw`(?:"([^"\r\n]{1,512})"|'([^'\r\n]{1,512})'|([^\s"',;&<>]{1,512}))`;

/** Decides a labelled value: strong words (password, secret) take any real value; `key`/`auth` need a random one. */
function acceptLabelled(secret: string, match: RegExpExecArray): boolean {
  const label = match[1] ?? '';
  if (!isSecretValue(label, secret)) return false;
  if (/pass|pwd|secret|cred|private/i.test(label)) return true;
  if (/token/i.test(label)) return secret.length >= 8 && /[A-Za-z]/.test(secret) && /[\d_./+=-]/.test(secret);
  return looksGenerated(secret);
}

function base64CredentialPair(secret: string): boolean {
  try {
    const decoded = Buffer.from(secret, 'base64').toString('utf8');
    return /^[\x20-\x7e]{1,256}:[\x20-\x7e]{1,256}$/.test(decoded);
  } catch {
    return false;
  }
}

export const GENERIC_RULES: readonly SecretRuleSpec[] = [
  {
    id: 'private-key',
    description: 'PEM private key block (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted, PGP), whole, also JSON-escaped',
    keywords: ['-----BEGIN'],
    multiline: true,
    // Without its END line (cut off, or not yet arrived) the body after the header is replaced anyway.
    pattern: String.raw`${PEM_HEADER}(?:[\s\S]{0,7000}?-----END (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:,.\\-]{0,7000})`,
    examples: {
      redact: [
        s(`-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`),
        `{"private_key": "${s(`-----BEGIN PRIVATE KEY-----\\n${PEM_BODY}\\n-----END PRIVATE KEY-----`)}\\n"}`,
        s(`-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${PEM_BODY}\n-----END PGP PRIVATE KEY BLOCK-----`),
      ],
      keep: ['-----BEGIN CERTIFICATE-----', '-----BEGIN PUBLIC KEY-----', 'grep -r "BEGIN RSA" /etc/ssl'],
    },
  },
  {
    id: 'jwt',
    description: 'JSON Web Token (header.payload.signature)',
    keywords: ['eyJ'],
    pattern: String.raw`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,1024}\.[A-Za-z0-9_-]{4,4096}\.[A-Za-z0-9_-]{0,1024}`,
    partial: String.raw`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}`,
    examples: {
      redact: [`Authorization: Bearer ${s(JWT)}`, `id_token=${s(JWT)}&state=x`],
      keep: ['eyJ is how a base64 JSON object starts', 'keyJar=1'],
    },
  },
  {
    id: 'url-password',
    description:
      'Password in a URL (postgres, mysql, redis, amqp, mongodb+srv, http, ...): scheme://user:password@host',
    keywords: ['://'],
    pattern: String.raw`\b[A-Za-z][A-Za-z0-9+.-]{1,31}://[^\s/?#@:'"<>]{0,128}:([^\s/?#@'"<>]{1,256})@`,
    examples: {
      redact: [
        `DATABASE_URL=postgres://app:${s('pg-Pa55word!')}@db.internal:5432/app`,
        `mongodb+srv://svc:${s('Tr0ub4dor3')}@cluster0.abcde.mongodb.net/prod`,
        `REDIS_URL=redis://:${s('redisPass123')}@cache:6379/0`,
        `curl https://admin:${s('hunter2')}@internal.example.com/health`,
        `amqp://guest:${s('rabbitSecret9')}@mq:5672/`,
      ],
      keep: ['https://example.com:8443/path', 'ssh://git@github.com:22/org/repo.git', 'http://[::1]:8080/'],
    },
  },
  {
    id: 'sentry-dsn',
    description: 'Sentry DSN (the key before @ lets anyone send events)',
    keywords: ['sentry.io'],
    pattern: String.raw`https?://([0-9a-f]{32}(?::[0-9a-f]{32})?)@[A-Za-z0-9.-]{1,100}sentry\.io`,
    examples: {
      redact: [`SENTRY_DSN=https://${s(fakeChars(32, '0123456789abcdef', 4))}@o450123.ingest.sentry.io/5501234`],
      keep: ['see https://docs.sentry.io/platforms/'],
    },
  },
  {
    id: 'authorization-header',
    description: 'Authorization / Proxy-Authorization header value (Basic, Bearer, Token, ...)',
    keywords: ['authorization'],
    anyCase: true,
    pattern: String.raw`\b(?:proxy-)?authorization["']?\s{0,4}[:=]\s{0,4}["']?(?:(?:basic|bearer|token|digest|negotiate|apikey|sso-key|aws4-hmac-sha256|ntlm)\s{1,4})?([^\s"',;]{6,4096})`,
    flags: 'i',
    accept: (secret) => !/^(?:basic|bearer|token|required|none|null|\*+|<[^>]*>)$/i.test(secret),
    examples: {
      redact: [
        `Authorization: Basic ${s('YWRtaW46czNjcjN0UGFzcw==')}`,
        `-H "Authorization: token ${s(fakeChars(40, '0123456789abcdef', 6))}"`,
        `{"Authorization": "Bearer ${s('opaque.token-value_123')}"}`,
      ],
      keep: ['401 Unauthorized: authorization required', 'authorization: none'],
    },
  },
  {
    id: 'bearer-token',
    description: 'Bearer token anywhere (headers, curl flags, logs)',
    keywords: ['bearer'],
    anyCase: true,
    pattern: String.raw`\bbearer\s{1,4}([A-Za-z0-9._~+/=-]{12,4096})`,
    flags: 'i',
    accept: (secret) => /\d/.test(secret) || secret.length >= 20,
    examples: {
      redact: [`curl -H 'X-Auth: Bearer ${s('a1b2c3d4e5f6g7h8i9')}' https://api`],
      keep: ['WWW-Authenticate: Bearer realm="api"', 'bearer authentication failed'],
    },
  },
  {
    id: 'basic-credentials',
    description: 'Basic credentials (base64 of user:password) after the word Basic',
    keywords: ['basic '],
    anyCase: true,
    pattern: String.raw`\bbasic\s{1,4}([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])`,
    flags: 'i',
    accept: base64CredentialPair,
    examples: {
      redact: [`proxy: Basic ${s('dXNlcjpwYXNzd29yZDEyMw==')}`],
      keep: ['Basic authentication failed for user admin', 'basic usage: ecs-exec help'],
    },
  },
  {
    id: 'cli-credentials',
    description: 'user:password given to a command with -u / --user (curl, wget, http clients)',
    keywords: ['-u ', '--user'],
    pattern: String.raw`(?:^|\s)(?:-u|--user)[ =]["']?[^\s:"']{1,128}:([^\s"']{1,256})`,
    examples: {
      redact: [`curl -u admin:${s('S3cretPass')} https://jenkins.internal/api`],
      keep: ['ps -u root -o pid,cmd', 'docker run --user 1000:1000 app'],
    },
    accept: (secret) => !/^\d+$/.test(secret),
  },
  {
    id: 'secret-flag',
    description: 'Command-line flag whose name says secret, with the value after a space (--password x, --token x)',
    keywords: SECRET_WORDS,
    anyCase: true,
    pattern: String.raw`(?:^|\s)(--?[A-Za-z0-9_-]{0,32}(?:${WORDS})[A-Za-z0-9_-]{0,32})\s{1,4}(?:"([^"\r\n]{1,512})"|'([^'\r\n]{1,512})'|([^\s"'-][^\s"']{0,511}))`,
    flags: 'i',
    accept: acceptLabelled,
    kindOf: (match) => kindOfLabel(match[1] ?? ''),
    examples: {
      redact: [`mysql --password ${s('Zx9!pLm2')} -h db`, `vault login --token '${s('hvs-like-token-9876')}'`],
      keep: ['docker login --password-stdin -u ci', 'openssl req --key-file /etc/tls/key.pem', '--token-ttl 3600'],
    },
  },
  {
    id: 'secret-assignment',
    description:
      'Value of a setting whose name says secret: env (X_PASSWORD=), .env, YAML (password:), JSON ("client_secret":), INI, connection strings, --flag=value',
    keywords: SECRET_WORDS,
    anyCase: true,
    pattern: String.raw`${LABEL}["']?\s{0,8}(?:=|:=|:|=>)\s{0,8}${VALUE}`,
    flags: 'i',
    accept: acceptLabelled,
    kindOf: (match) => kindOfLabel(match[1] ?? ''),
    examples: {
      redact: [
        `DB_PASSWORD=${s('hunter2!x')}`,
        `export PGPASSWORD='${s('pg secret 42')}'`,
        `  password: ${s('Yaml-Passw0rd')}`,
        `{"client_secret": "${s('cs_9f8e7d6c5b4a')}"}`,
        `api_key = ${s(fakeChars(32, '0123456789abcdef', 8))}`,
        `Server=db;User Id=sa;Password=${s('Sql$erver2019')};`,
        `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${s(`${fakeChars(86, BASE64, 9)}==`)};EndpointSuffix=core.windows.net`,
        `--db-password=${s('flagPass77')}`,
        `SECRET_KEY_BASE=${s(fakeChars(64, '0123456789abcdef', 10))}`,
      ],
      keep: [
        'PASSWORD_MIN_LENGTH=12',
        'TOKEN_TTL_SECONDS=3600',
        'click "password reset" to get a link',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell reference as a command prints it
        'password: ${DB_PASSWORD}',
        'SECRET_NAME=prod/db',
        '- key: app.kubernetes.io/name',
        'cache key: user:42',
        'AUTH_ENABLED=true',
        'keys: 3',
        'DATABASE_PASSWORD_FILE=/run/secrets/db',
        'TOKEN_URL=https://auth.example.com/token',
      ],
    },
  },
];
