import type { CliIo } from './cli/io.js';

/** Composition root: reads the environment once, builds every adapter, starts the bot. */
export async function startBot(_args: string[], io: CliIo): Promise<number> {
  io.stderr.write('ecs-exec serve: not wired yet\n');
  return 255;
}
