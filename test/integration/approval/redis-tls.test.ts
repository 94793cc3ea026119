import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keys, recommendedAclRules } from '../../../src/approval/keys.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import {
  createRedisClient,
  type RedisClient,
  redisConnectionSettings,
} from '../../../src/approval/redis-connection.js';
import { RedisRunSignals } from '../../../src/approval/run-signals.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { freePort, startRedisServer } from '../../setup/redis.global-setup.js';
import { prodRequest } from './approval-store.contract.js';

const run = promisify(execFile);

let dir: string;
let tlsPort: number;
let stopServer: (() => void) | undefined;
const clients: RedisClient[] = [];

/** A private CA and a server certificate for 127.0.0.1 signed by it, made with the openssl CLI. */
async function makeCertificates(into: string): Promise<void> {
  const file = (name: string) => join(into, name);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=ecs-exec test CA',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
  ]);
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  ]);
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  ]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ecs-exec-tls-'));
  await makeCertificates(dir);
  // TLS only (no plain port), clients not asked for certificates: as ElastiCache with in-transit encryption.
  tlsPort = await freePort();
  const server = await startRedisServer(undefined, [
    '--port',
    '0',
    '--tls-port',
    String(tlsPort),
    '--tls-cert-file',
    join(dir, 'server.crt'),
    '--tls-key-file',
    join(dir, 'server.key'),
    '--tls-ca-cert-file',
    join(dir, 'ca.crt'),
    '--tls-auth-clients',
    'no',
    '--requirepass',
    'admin-secret',
  ]);
  stopServer = () => server.process.kill('SIGKILL');
});

afterAll(() => {
  for (const client of clients.splice(0)) client.disconnect();
  stopServer?.();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(url: string, env: Record<string, string> = {}): Promise<RedisClient> {
  const client = createRedisClient(redisConnectionSettings(url, env), {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    reconnect: false,
  });
  clients.push(client);
  // ioredis rejects connect() with "Connection is closed."; the reason (TLS, AUTH) arrives as an error event.
  const errors: Error[] = [];
  client.on('error', (error: Error) => errors.push(error));
  try {
    await client.connect();
  } catch (error) {
    throw errors[0] ?? error;
  }
  return client;
}

it('refuses a server certificate from a CA it was not given', async () => {
  await expect(connect(`rediss://default:admin-secret@127.0.0.1:${tlsPort}`)).rejects.toThrow(/certificate/i);
});

it('runs a whole request over TLS as the recommended ACL user (rediss:// + REDIS_TLS_CA_FILE)', async () => {
  const ca = { REDIS_TLS_CA_FILE: join(dir, 'ca.crt') };
  const admin = await connect(`rediss://default:admin-secret@127.0.0.1:${tlsPort}`, ca);
  const prefix = `test:${randomUUID()}:`;
  const password = randomUUID();
  await admin.acl('SETUSER', 'ecs-exec-bot', 'on', `>${password}`, ...recommendedAclRules(prefix));

  const bot = await connect(`rediss://ecs-exec-bot:${password}@127.0.0.1:${tlsPort}`, ca);
  expect(await bot.ping()).toBe('PONG');
  const store = new RedisApprovalStore(bot, { prefix, dispatchReplicas: 'auto' });
  const { record } = await store.create(prodRequest());
  await store.attachCard(record.id, { conversation: 'C0INCIDENT', messageRef: '1.000100' });
  await store.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: ['U0ALICE'] });
  await store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest });
  await store.markRunning(record.id, 'session-1');
  await store.finish(record.id, 'succeeded', { exitCode: 0, bytes: 1, sha256: 'f'.repeat(64), redactions: 0 });
  expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 6 });
  await expect(bot.del(keys(prefix).auditStream)).rejects.toThrow(/NOPERM/);

  const subscriber = await connect(`rediss://ecs-exec-bot:${password}@127.0.0.1:${tlsPort}`, ca);
  const signals = new RedisRunSignals(bot, subscriber, keys(prefix).runSignals);
  const heard: string[] = [];
  signals.onStop((requestId) => heard.push(requestId));
  await signals.ready();
  await signals.requestStop(record.id, 'U0ALICE');
  await expect.poll(() => heard).toEqual([record.id]);
});

it('refuses a wrong password for the ACL user', async () => {
  const ca = { REDIS_TLS_CA_FILE: join(dir, 'ca.crt') };
  await expect(connect(`rediss://ecs-exec-bot:wrong@127.0.0.1:${tlsPort}`, ca)).rejects.toThrow(/WRONGPASS|invalid/i);
});
