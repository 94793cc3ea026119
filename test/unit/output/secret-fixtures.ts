import type { SecretKind } from '../../../src/output/secret-rules.js';

/**
 * Secrets as commands print them. Token prefixes are built by concatenation so that scanners reading this
 * repository do not mistake the fixtures for leaked credentials. `secret` is the part that must never survive.
 */
export interface PlantedSecret {
  readonly name: string;
  readonly kind: SecretKind;
  readonly line: string;
  readonly secret: string;
}

const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN =
  'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampleexampleexampleexampleAiBexampleexample+example=';
const PEM_BODY = 'MIIEpAIBAAKCAQEA7exampleKeyMaterial0123456789abcdefghijABCDEFGHIJ+/==';
const JWT = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QiLCJpYXQiOjE3MDAwMDAwMDB9.${'s1gnatureAbc_-'.repeat(3)}`;
const SLACK_BOT = `${'xox'}b-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx`;
const SLACK_APP = `${'xa'}pp-1-A0123ABCDEF-1234567890123-abcdef0123456789abcdef0123456789`;

export const PLANTED_SECRETS: readonly PlantedSecret[] = [
  {
    name: 'access key id',
    kind: 'aws-access-key-id',
    line: 'id AKIAIOSFODNN7EXAMPLE here',
    secret: 'IOSFODNN7EXAMPLE',
  },
  { name: 'temporary key id', kind: 'aws-access-key-id', line: 'id=ASIAY34FZKBOKMUTVV7A', secret: 'Y34FZKBOKMUTVV7A' },
  {
    name: 'secret key in credentials file',
    kind: 'aws-secret-access-key',
    line: `aws_secret_access_key = ${SECRET_KEY}`,
    secret: SECRET_KEY,
  },
  {
    name: 'secret key in env',
    kind: 'aws-secret-access-key',
    line: `export AWS_SECRET_ACCESS_KEY="${SECRET_KEY}"`,
    secret: SECRET_KEY,
  },
  {
    name: 'secret key in JSON',
    kind: 'aws-secret-access-key',
    line: `{"SecretAccessKey": "${SECRET_KEY}"}`,
    secret: SECRET_KEY,
  },
  {
    name: 'session token in env',
    kind: 'aws-session-token',
    line: `AWS_SESSION_TOKEN=${SESSION_TOKEN}`,
    secret: SESSION_TOKEN,
  },
  {
    name: 'session token in credentials file',
    kind: 'aws-session-token',
    line: `aws_session_token=${SESSION_TOKEN}`,
    secret: SESSION_TOKEN,
  },
  { name: 'Slack bot token', kind: 'slack-token', line: `token: ${SLACK_BOT}`, secret: SLACK_BOT.slice(5) },
  { name: 'Slack app token', kind: 'slack-token', line: `SLACK_APP_TOKEN=${SLACK_APP}`, secret: SLACK_APP.slice(5) },
  {
    name: 'private key block',
    kind: 'private-key',
    line: `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`,
    secret: PEM_BODY,
  },
  {
    name: 'OpenSSH private key block',
    kind: 'private-key',
    line: `-----BEGIN OPENSSH PRIVATE KEY-----\n${PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----`,
    secret: PEM_BODY,
  },
  { name: 'JWT', kind: 'jwt', line: `Authorization: Bearer ${JWT}`, secret: JWT.slice(20) },
];

/** What `curl $AWS_CONTAINER_CREDENTIALS_FULL_URI` prints inside a task. */
export const TASK_CREDENTIALS_JSON = JSON.stringify({
  RoleArn: 'arn:aws:iam::111122223333:role/app-task-role',
  AccessKeyId: 'ASIAY34FZKBOKMUTVV7A',
  SecretAccessKey: SECRET_KEY,
  Token: SESSION_TOKEN,
  Expiration: '2026-11-28T06:00:00Z',
});

export const TASK_CREDENTIAL_SECRETS = ['Y34FZKBOKMUTVV7A', SECRET_KEY, SESSION_TOKEN.slice(0, 40)];
