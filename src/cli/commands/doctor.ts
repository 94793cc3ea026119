import { parseArgs } from 'node:util';
import { createAwsClientFactory } from '../../ecs/aws-client-factory.js';
import { resolveAwsSettings } from '../../ecs/aws-settings.js';
import { doctorChecks, gatherDoctorFacts, renderChecklist } from '../../ecs/doctor.js';
import { AwsKms } from '../../ssm/aws-kms.js';
import { AWS_OPTIONS, AWS_USAGE, exitCodeForStartFailure, startFailureText } from '../aws-options.js';
import { clusterFromFlags } from '../cluster-from-flags.js';
import type { CliCommand } from '../io.js';
import { EXIT, parseOrUsage, UsageError, usageFailure, wantsHelp } from '../io.js';

const USAGE = `Usage: ecs-exec doctor --cluster C --service S [--profile P] [--region R]

Checks what ECS Exec needs for a service and says what to fix: the cluster's exec logging and KMS settings,
enableExecuteCommand, the exec agent in each container, the Fargate platform or ECS agent version, a read-only
root filesystem and pidMode. Prints a checklist (✓ fine, ✗ broken with its fix, ? could not tell).

${AWS_USAGE}

Exit status: 0 nothing to fix, 1 something to fix, 2 bad usage, 254 no usable AWS credentials, 255 could not check.
`;

/** `ecs-exec doctor`: a checklist on stdout; exit 1 when something must be fixed. */
export const doctorCommand: CliCommand = async (args, io) => {
  if (wantsHelp(args)) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  let values: { cluster?: string | undefined; service?: string | undefined; profile?: string; region?: string };
  try {
    ({ values } = parseOrUsage(() =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: { cluster: { type: 'string' }, service: { type: 'string' }, ...AWS_OPTIONS },
      }),
    ));
    if (!values.cluster || !values.service) throw new UsageError('--cluster and --service are required');
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailure(io, 'ecs-exec doctor', error.message, USAGE);
  }
  const service = values.service;
  let factory: ReturnType<typeof createAwsClientFactory> | undefined;
  try {
    const aws = await resolveAwsSettings(values, io.env);
    factory = createAwsClientFactory({ env: io.env, ...aws });
    const cluster = await clusterFromFlags(
      { kind: 'service', cluster: values.cluster, service },
      values.region,
      io.env,
      aws.region,
    );
    const clients = factory.clientsFor(cluster, { userId: io.env['USER'] ?? 'unknown', via: 'cli' });
    const facts = await gatherDoctorFacts(clients.ecs, cluster, service, { kms: new AwsKms(clients.kms) });
    const checks = doctorChecks(facts);
    io.stdout.write(renderChecklist(checks));
    return checks.some((c) => c.status === 'fail') ? EXIT.checkFailed : EXIT.ok;
  } catch (error) {
    io.stderr.write(`ecs-exec doctor: ${startFailureText(error, values.profile || io.env['AWS_PROFILE'])}\n`);
    return exitCodeForStartFailure(error);
  } finally {
    factory?.destroy();
  }
};
