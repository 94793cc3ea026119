import { z } from 'zod';
import { parseRedisUrl, RedisUrlError } from './redis-url.js';

/** pino's level names. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

/**
 * The environment variables of product.md §4. Messages never quote the value: several of these are secrets, and a
 * REDIS_URL may carry a password.
 */
export const envSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-\S+$/, { error: 'must be a bot token, which starts with "xoxb-"' })
    .optional(),
  SLACK_SIGNING_SECRET: z
    .string()
    .regex(/^\S{8,}$/, { error: "must be the app's signing secret (at least 8 characters, no spaces)" })
    .optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-\S+$/, { error: 'must be an app-level token, which starts with "xapp-"' })
    .optional(),
  SLACK_API_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://slack.com/api/' })
    // The Web API client appends the method name, so a missing trailing slash would call `/apichat.postMessage`.
    .transform((url) => (url.endsWith('/') ? url : `${url}/`))
    .optional(),
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a whole port number' })
    .min(0, { error: 'must be between 0 and 65535' })
    .max(65_535, { error: 'must be between 0 and 65535' })
    .default(3000),
  /** Serves /metrics on this port instead of PORT, so metrics need not be reachable where Slack reaches the bot. */
  METRICS_PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a whole port number' })
    .min(0, { error: 'must be between 0 and 65535' })
    .max(65_535, { error: 'must be between 0 and 65535' })
    .optional(),
  REDIS_URL: z
    .string()
    .check((ctx) => {
      try {
        parseRedisUrl(ctx.value);
      } catch (error) {
        if (!(error instanceof RedisUrlError)) throw error;
        ctx.issues.push({ code: 'custom', message: error.message, input: ctx.value });
      }
    })
    .optional(),
  ECS_EXEC_CONFIG: z.string().default('./ecs-exec.yml'),
  AWS_REGION: z.string().regex(AWS_REGION, { error: 'must be an AWS region such as eu-west-1' }).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});

export type EnvSettings = z.output<typeof envSchema>;
