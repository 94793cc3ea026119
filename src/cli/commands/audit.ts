import { parseArgs } from 'node:util';
import { DEFAULT_KEY_PREFIX, keys } from '../../approval/keys.js';
import { createRedisAuditReader } from '../../approval/redis-audit-reader.js';
import type { RedisClient } from '../../approval/redis-connection.js';
import { toAuditEntry } from '../../audit/audit-entry.js';
import { verifyAuditChain } from '../../audit/verify-audit-chain.js';
import { type CliCommand, EXIT, parseOrUsage, UsageError, usageFailure, wantsHelp } from '../io.js';
import { withRedis } from '../with-redis.js';

const USAGE = `Usage: ecs-exec audit <verify|export> [--prefix PREFIX]

  verify   walk the audit chain in Redis and report the first missing or altered entry
  export   print every audit entry as one JSON line, oldest first

Reads REDIS_URL. --prefix is the bot's key prefix (default "${DEFAULT_KEY_PREFIX}").
Exit status: 0 intact (verify) or exported; 1 the chain is broken; 2 bad usage; 255 Redis could not be read.
`;

const EXIT_CHAIN_BROKEN = EXIT.checkFailed;

function parseOptions(args: string[]): { action: string; prefix: string } {
  const { values, positionals } = parseOrUsage(() =>
    parseArgs({ args, strict: true, allowPositionals: true, options: { prefix: { type: 'string' } } }),
  );
  const [action, ...extra] = positionals;
  if (action === undefined) throw new UsageError('say which action: verify or export');
  if (action !== 'verify' && action !== 'export') throw new UsageError(`unknown action "${action}"`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.prefix === '') throw new UsageError('--prefix needs a value');
  return { action, prefix: values.prefix ?? DEFAULT_KEY_PREFIX };
}

/** `ecs-exec audit verify | export`: checks or dumps the hash-chained audit log. */
export const auditCommand: CliCommand = async (args, io) => {
  if (wantsHelp(args) || args[0] === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  let options: { action: string; prefix: string };
  try {
    options = parseOptions(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailure(io, 'ecs-exec audit', error.message, USAGE);
  }
  const { action } = options;
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
  return usageFailure(io, 'ecs-exec audit', `unknown action "${action}"`, USAGE);
};
