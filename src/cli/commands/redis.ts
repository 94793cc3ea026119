import { DEFAULT_KEY_PREFIX, hashTagged } from '../../approval/keys.js';
import { migrateKeys } from '../../approval/migrate-keys.js';
import { type CliCommand, EXIT_COULD_NOT_RUN } from '../io.js';
import { withRedis } from '../with-redis.js';

/** The prefix every release before the hash tag used. */
const LEGACY_PREFIX = 'ecs-exec:';

const USAGE = `Usage: ecs-exec redis migrate-keys [--from PREFIX] [--to PREFIX]

  migrate-keys  copy the bot's keys from an old prefix to the hash-tagged one this release reads
                (default --from "${LEGACY_PREFIX}" --to "${DEFAULT_KEY_PREFIX}"); values and TTLs are kept, nothing
                is deleted or overwritten, so running it twice is harmless. Stop the bot first, and use a Redis
                user that may SCAN, PTTL, DUMP and RESTORE.

Reads REDIS_URL (and REDIS_CLUSTER, REDIS_TLS_CA_FILE) as the bot does.
`;

function parseOptions(args: string[]): { from: string; to: string } | string {
  const options = { from: LEGACY_PREFIX, to: DEFAULT_KEY_PREFIX };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const match = /^--(from|to)(?:=(.*))?$/.exec(arg);
    if (!match) return `unknown option "${arg}"`;
    const name = match[1] as 'from' | 'to';
    let value = match[2];
    if (value === undefined) {
      i += 1;
      value = args[i];
    }
    if (!value) return `--${name} needs a value`;
    options[name] = value;
  }
  // The bot tags whatever prefix it is given, so the copy goes where the bot will read it.
  return { from: options.from, to: hashTagged(options.to) };
}

/** `ecs-exec redis migrate-keys`: one-off copy of the bot's keys to the hash-tagged prefix. */
export const redisCommand: CliCommand = async (args, io) => {
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h' || action === 'help') {
    io.stdout.write(USAGE);
    return action === undefined ? EXIT_COULD_NOT_RUN : 0;
  }
  if (action !== 'migrate-keys') {
    io.stderr.write(`ecs-exec redis: unknown action "${action}"\n\n${USAGE}`);
    return EXIT_COULD_NOT_RUN;
  }
  const options = parseOptions(rest);
  if (typeof options === 'string') {
    io.stderr.write(`ecs-exec redis: ${options}\n\n${USAGE}`);
    return EXIT_COULD_NOT_RUN;
  }
  return await withRedis(io, 'redis', async (redis) => {
    const report = await migrateKeys(redis, options.from, options.to);
    io.stdout.write(
      `copied ${report.copied} keys from "${options.from}" to "${options.to}"; ` +
        `${report.alreadyThere} were already there (left as they were), ${report.vanished} expired meanwhile\n`,
    );
    return 0;
  });
};
