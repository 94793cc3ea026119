import type { CliCommand } from '../io.js';
import { EXIT, parseOrUsage, UsageError, usageFailure, wantsHelp } from '../io.js';

/** `ecs-exec serve`: the Slack bot (or the local playground). The composition root lives in src/main.ts. */
export const serveCommand: CliCommand = async (args, io) => {
  const { parseServeArgs, SERVE_USAGE } = await import('../../playground/start-playground.js');
  // Help first: with Slack settings present, anything else would start the bot.
  if (wantsHelp(args)) {
    io.stdout.write(SERVE_USAGE);
    return EXIT.ok;
  }
  try {
    const { port } = parseOrUsage(() => parseServeArgs(args));
    if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65_535)) {
      throw new UsageError(`--port must be a port number from 0 to 65535, not "${port}"`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailure(io, 'ecs-exec serve', error.message, SERVE_USAGE);
  }
  const { startBot } = await import('../../main.js');
  return await startBot(args, io);
};
