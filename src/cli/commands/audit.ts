import type { Redis } from 'ioredis';
import { DEFAULT_KEY_PREFIX, keys } from '../../approval/keys.js';
import { createRedisAuditReader } from '../../approval/redis-approval-store.js';
import { createRedisClient } from '../../approval/redis-connection.js';
import { toAuditEntry } from '../../audit/audit-entry.js';
import { verifyAuditChain } from '../../audit/verify-audit-chain.js';
import { describeRedisTarget, parseRedisUrl, RedisUrlError } from '../../config/redis-url.js';
import { type CliCommand, type CliIo, EXIT_COULD_NOT_RUN } from '../io.js';

const USAGE = `Usage: ecs-exec audit <verify|export> [--prefix PREFIX]

  verify   walk the audit chain in Redis and report the first missing or altered entry
           (exit 0 intact, 1 broken)
  export   print every audit entry as one JSON line, oldest first

Reads REDIS_URL. --prefix is the bot's key prefix (default "${DEFAULT_KEY_PREFIX}").
`;

const EXIT_CHAIN_BROKEN = 1;

function parseOptions(args: string[]): { prefix: string } | string {
  let prefix = DEFAULT_KEY_PREFIX;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--prefix') {
      const value = args[i + 1];
      if (!value) return '--prefix needs a value';
      prefix = value;
      i += 1;
    } else if (arg?.startsWith('--prefix=')) prefix = arg.slice('--prefix='.length);
    else return `unknown option "${arg}"`;
  }
  return { prefix };
}

async function withRedis(io: CliIo, run: (redis: Redis) => Promise<number>): Promise<number> {
  const url = io.env['REDIS_URL'];
  if (!url) {
    io.stderr.write('ecs-exec audit: REDIS_URL is not set; the audit chain lives in Redis.\n');
    return EXIT_COULD_NOT_RUN;
  }
  let where: string;
  let redis: Redis;
  try {
    where = describeRedisTarget(parseRedisUrl(url));
    // One attempt, no queueing: a CLI that hangs on an unreachable Redis tells the auditor nothing.
    redis = createRedisClient(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  } catch (error) {
    if (!(error instanceof RedisUrlError)) throw error;
    io.stderr.write(`ecs-exec audit: REDIS_URL ${error.message}\n`);
    return EXIT_COULD_NOT_RUN;
  }
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await run(redis);
  } catch (error) {
    io.stderr.write(
      `ecs-exec audit: cannot read Redis at ${where}: ${error instanceof Error ? error.message : error}\n`,
    );
    return EXIT_COULD_NOT_RUN;
  } finally {
    redis.disconnect();
  }
}

/** `ecs-exec audit verify | export`: checks or dumps the hash-chained audit log. */
export const auditCommand: CliCommand = async (args, io) => {
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h' || action === 'help') {
    io.stdout.write(USAGE);
    return action === undefined ? EXIT_COULD_NOT_RUN : 0;
  }
  const options = parseOptions(rest);
  if (typeof options === 'string') {
    io.stderr.write(`ecs-exec audit: ${options}\n\n${USAGE}`);
    return EXIT_COULD_NOT_RUN;
  }
  const reader = (redis: Redis) => createRedisAuditReader(redis, keys(options.prefix));

  if (action === 'verify') {
    return await withRedis(io, async (redis) => {
      const verification = await verifyAuditChain(reader(redis));
      if (verification.ok) {
        io.stdout.write(
          verification.entries === 0
            ? 'audit chain is empty: nothing has been recorded under this prefix\n'
            : `audit chain intact: ${verification.entries} entries, head ${verification.headHash}\n`,
        );
        return 0;
      }
      io.stdout.write(
        `audit chain BROKEN: ${verification.problem.message}\n` +
          `  ${verification.entries} entries before it verified; compare with the JSON audit log lines from that time.\n`,
      );
      return EXIT_CHAIN_BROKEN;
    });
  }
  if (action === 'export') {
    return await withRedis(io, async (redis) => {
      for await (const raw of reader(redis).entries()) io.stdout.write(`${JSON.stringify(toAuditEntry(raw))}\n`);
      return 0;
    });
  }
  io.stderr.write(`ecs-exec audit: unknown action "${action}"\n\n${USAGE}`);
  return EXIT_COULD_NOT_RUN;
};
