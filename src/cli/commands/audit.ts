import { DEFAULT_KEY_PREFIX, keys } from '../../approval/keys.js';
import { createRedisAuditReader } from '../../approval/redis-approval-store.js';
import type { RedisClient } from '../../approval/redis-connection.js';
import { toAuditEntry } from '../../audit/audit-entry.js';
import { verifyAuditChain } from '../../audit/verify-audit-chain.js';
import { type CliCommand, EXIT_COULD_NOT_RUN } from '../io.js';
import { withRedis } from '../with-redis.js';

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
  const reader = (redis: RedisClient) => createRedisAuditReader(redis, keys(options.prefix));

  if (action === 'verify') {
    return await withRedis(io, 'audit', async (redis) => {
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
    return await withRedis(io, 'audit', async (redis) => {
      for await (const raw of reader(redis).entries()) io.stdout.write(`${JSON.stringify(toAuditEntry(raw))}\n`);
      return 0;
    });
  }
  io.stderr.write(`ecs-exec audit: unknown action "${action}"\n\n${USAGE}`);
  return EXIT_COULD_NOT_RUN;
};
