import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SandboxError } from '../errors.js';
import type { SandboxSeed } from './model.js';

const taskStatus = z.enum([
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
]);
const launchType = z.enum(['FARGATE', 'EC2', 'EXTERNAL']);

/** Schema of a seed file; unknown keys are errors so a typo is not silently ignored. */
export const seedSchema = z.strictObject({
  defaultAccount: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  defaultRegion: z.string().min(1).optional(),
  clusters: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        account: z
          .string()
          .regex(/^\d{12}$/)
          .optional(),
        region: z.string().min(1).optional(),
        status: z.enum(['ACTIVE', 'INACTIVE']).optional(),
        executeCommandConfiguration: z
          .strictObject({
            kmsKeyId: z.string().min(1).optional(),
            logging: z.enum(['NONE', 'DEFAULT', 'OVERRIDE']).optional(),
            logConfiguration: z
              .strictObject({
                cloudWatchLogGroupName: z.string().optional(),
                cloudWatchEncryptionEnabled: z.boolean().optional(),
                s3BucketName: z.string().optional(),
                s3EncryptionEnabled: z.boolean().optional(),
                s3KeyPrefix: z.string().optional(),
              })
              .optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  services: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        cluster: z.string().min(1),
        launchType: launchType.optional(),
        enableExecuteCommand: z.boolean().optional(),
        desiredCount: z.number().int().min(0).optional(),
      }),
    )
    .optional(),
  tasks: z
    .array(
      z.strictObject({
        id: z
          .string()
          .regex(/^[0-9a-f]{32}$/)
          .optional(),
        cluster: z.string().min(1),
        service: z.string().optional(),
        taskDefinition: z.string().optional(),
        lastStatus: taskStatus.optional(),
        desiredStatus: z.enum(['RUNNING', 'PENDING', 'STOPPED']).optional(),
        launchType: launchType.optional(),
        platformVersion: z.string().optional(),
        enableExecuteCommand: z.boolean().optional(),
        startedAt: z.union([z.string(), z.number()]).optional(),
        stoppedReason: z.string().optional(),
        pidMode: z.enum(['task', 'host']).optional(),
        agentVersion: z.string().optional(),
        availabilityZone: z.string().min(1).optional(),
        vanishAfterExecMs: z.number().int().min(0).optional(),
        containers: z
          .array(
            z.strictObject({
              name: z.string().min(1),
              image: z.string().optional(),
              lastStatus: taskStatus.optional(),
              agentStatus: z.enum(['PENDING', 'RUNNING', 'STOPPED']).nullable().optional(),
              agentConnected: z.boolean().optional(),
              runtimeId: z.string().optional(),
              readonlyRootFilesystem: z.boolean().optional(),
              environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
  kmsKeys: z
    .array(
      z.strictObject({
        arn: z.string().min(1),
        aliases: z.array(z.string()).optional(),
        enabled: z.boolean().optional(),
      }),
    )
    .optional(),
  roles: z.array(z.strictObject({ arn: z.string().min(1), denied: z.boolean().optional() })).optional(),
});

/**
 * Validates a parsed seed document, listing every problem with its path.
 * @throws SandboxError naming each invalid field.
 */
export function parseSeed(document: unknown): SandboxSeed {
  const result = seedSchema.safeParse(document ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new SandboxError(`Invalid sandbox seed:\n  ${problems.join('\n  ')}`, {
      userMessage: `The seed file is not valid:\n  ${problems.join('\n  ')}`,
    });
  }
  return result.data as SandboxSeed;
}

/**
 * Reads a seed file (YAML or JSON).
 * @throws SandboxError when it cannot be read, parsed or validated.
 */
export async function loadSeedFile(path: string): Promise<SandboxSeed> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SandboxError(`Cannot read seed file ${path}`, {
      cause: error,
      userMessage: `Cannot read the seed file ${path}.`,
    });
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new SandboxError(`Seed file ${path} is not YAML or JSON`, {
      cause: error,
      userMessage: `The seed file ${path} is not valid YAML or JSON.`,
    });
  }
  return parseSeed(document);
}
