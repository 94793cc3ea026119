import type { CliCommand } from '../io.js';

/** `ecs-exec serve`: the Slack bot. The composition root lives in src/main.ts. */
export const serveCommand: CliCommand = async (args, io) => {
  const { startBot } = await import('../../main.js');
  return await startBot(args, io);
};
