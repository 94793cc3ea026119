import { createRedisClient, type RedisClient, redisConnectionSettings } from '../approval/redis-connection.js';
import { isBotError } from '../errors.js';
import { type CliIo, EXIT_COULD_NOT_RUN } from './io.js';

/**
 * Connects to the Redis that `REDIS_URL` (and `REDIS_CLUSTER`, `REDIS_TLS_CA_FILE`) name, as the bot does, runs
 * `run`, and disconnects. Returns `run`'s exit code, or EXIT_COULD_NOT_RUN with a message on stderr.
 */
export async function withRedis(
  io: CliIo,
  commandName: string,
  run: (redis: RedisClient) => Promise<number>,
): Promise<number> {
  const url = io.env['REDIS_URL'];
  if (!url) {
    io.stderr.write(`ecs-exec ${commandName}: REDIS_URL is not set.\n`);
    return EXIT_COULD_NOT_RUN;
  }
  let redis: RedisClient;
  try {
    // One attempt, no queueing: a CLI that hangs on an unreachable Redis tells the operator nothing.
    redis = createRedisClient(redisConnectionSettings(url, io.env), {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      reconnect: false,
    });
  } catch (error) {
    io.stderr.write(`ecs-exec ${commandName}: ${isBotError(error) ? error.message : String(error)}\n`);
    return EXIT_COULD_NOT_RUN;
  }
  // connect() only says "Connection is closed."; why (refused, TLS, AUTH) comes as an error event.
  let firstError: Error | undefined;
  redis.on('error', (error: Error) => {
    firstError ??= error;
  });
  try {
    await redis.connect();
    return await run(redis);
  } catch (error) {
    const host = new URL(url).host;
    const reason = firstError ?? error;
    io.stderr.write(
      `ecs-exec ${commandName}: cannot read Redis at ${host}: ${reason instanceof Error ? reason.message : reason}\n`,
    );
    return EXIT_COULD_NOT_RUN;
  } finally {
    redis.disconnect();
  }
}
