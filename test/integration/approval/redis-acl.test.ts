import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, expect, inject, it } from 'vitest';
import { keys, recommendedAclRules } from '../../../src/approval/keys.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import { RedisRunSignals } from '../../../src/approval/run-signals.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { prodRequest } from './approval-store.contract.js';
import { deletePrefix } from './redis-test-helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('runs a whole request under the recommended ACL, which cannot delete or trim the audit log', async () => {
  const url = inject('redisUrl');
  const admin = new Redis(url);
  const user = `ecs-exec-test-${randomUUID().slice(0, 8)}`;
  const password = randomUUID();
  const prefix = `test:${randomUUID()}:`;
  cleanups.push(async () => {
    await admin.acl('DELUSER', user);
    await deletePrefix(admin, prefix);
    admin.disconnect();
  });
  await admin.acl('SETUSER', user, 'on', `>${password}`, ...recommendedAclRules(prefix));

  const parsed = new URL(url);
  const bot = new Redis({ host: parsed.hostname, port: Number(parsed.port), username: user, password });
  cleanups.push(async () => {
    bot.disconnect();
  });
  const store = new RedisApprovalStore(bot, { prefix });
  const { record } = await store.create(prodRequest());
  await store.attachCard(record.id, { conversation: 'C0INCIDENT', messageRef: '1.000100' });
  await store.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: ['U0ALICE'] });
  await store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest });
  await store.markRunning(record.id, 'session-1');
  await store.finish(record.id, 'succeeded', { exitCode: 0, bytes: 1, sha256: 'f'.repeat(64), redactions: 0 });
  await store.expireDue();
  expect((await store.listByRequester(record.requester, 5)).map((stored) => stored.state)).toEqual(['succeeded']);
  expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 6 });

  const stream = keys(prefix).auditStream;
  const [first] = await bot.xrange(stream, '-', '+', 'COUNT', 1);
  await expect(bot.xdel(stream, first?.[0] as string)).rejects.toThrow(/NOPERM/);
  await expect(bot.xtrim(stream, 'MAXLEN', 0)).rejects.toThrow(/NOPERM/);
  await expect(bot.del(stream)).rejects.toThrow(/NOPERM/);
  await expect(bot.flushdb()).rejects.toThrow(/NOPERM/);
  await expect(bot.script('FLUSH')).rejects.toThrow(/NOPERM/);
  // Other prefixes are out of reach too.
  await expect(bot.get('ecs-exec-other:secret')).rejects.toThrow(/NOPERM/);
});

it('lets the recommended ACL user send and hear stop signals on its own channel only', async () => {
  const url = inject('redisUrl');
  const admin = new Redis(url);
  const user = `ecs-exec-test-${randomUUID().slice(0, 8)}`;
  const password = randomUUID();
  const prefix = `test:${randomUUID()}:`;
  await admin.acl('SETUSER', user, 'on', `>${password}`, ...recommendedAclRules(prefix));
  const parsed = new URL(url);
  const connect = () => new Redis({ host: parsed.hostname, port: Number(parsed.port), username: user, password });
  const [publisher, subscriber] = [connect(), connect()];
  cleanups.push(async () => {
    publisher.disconnect();
    subscriber.disconnect();
    await admin.acl('DELUSER', user);
    admin.disconnect();
  });
  const signals = new RedisRunSignals(publisher, subscriber, keys(prefix).runSignals);
  const heard: string[] = [];
  signals.onStop((requestId) => heard.push(requestId));
  await signals.requestStop('r-acl001', 'U0ALICE');
  await expect.poll(() => heard).toEqual(['r-acl001']);
  await expect(publisher.publish('someone-else:channel', 'x')).rejects.toThrow(/NOPERM/);
});
