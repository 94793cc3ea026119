import { main } from './main.js';

// Source entry for `tsx src/cli/run.ts …` (development and the CLI's end-to-end tests); bin/ecs-exec.js runs dist/.
await main(process.argv.slice(2));
