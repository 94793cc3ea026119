import { parseArgs } from 'node:util';
import { createAwsClientFactory } from '../../ecs/aws-client-factory.js';
import { clusterFromFlags } from '../../ecs/cluster-settings.js';
import { doctorChecks, gatherDoctorFacts, renderChecklist } from '../../ecs/doctor.js';
import { isBotError, toUserMessage } from '../../errors.js';
import { AwsKms } from '../../ssm/aws-kms.js';
import type { CliCommand } from '../io.js';
import { EXIT_COULD_NOT_RUN } from '../io.js';

const USAGE = `Usage: ecs-exec doctor --cluster C --service S [--region R]

Checks what ECS Exec needs for a service and says what to fix: the cluster's exec logging and KMS settings,
enableExecuteCommand, the exec agent in each container, the Fargate platform or ECS agent version, a read-only
root filesystem and pidMode. Prints a checklist (✓ fine, ✗ broken with its fix, ? could not tell).
Exit status: 0 nothing to fix, 1 something to fix, 255 could not check.
`;

/** `ecs-exec doctor`: a checklist on stdout; exit 1 when something must be fixed. */
export const doctorCommand: CliCommand = async (args, io) => {
  let values: {
    cluster?: string | undefined;
    service?: string | undefined;
    region?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        cluster: { type: 'string' },
        service: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    io.stderr.write(`ecs-exec doctor: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return EXIT_COULD_NOT_RUN;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!values.cluster || !values.service) {
    io.stderr.write(`ecs-exec doctor: --cluster and --service are required\n\n${USAGE}`);
    return EXIT_COULD_NOT_RUN;
  }
  const factory = createAwsClientFactory({ env: io.env });
  try {
    const cluster = clusterFromFlags(
      { kind: 'service', cluster: values.cluster, service: values.service },
      values.region,
      io.env,
    );
    const clients = factory.clientsFor(cluster, { userId: io.env['USER'] ?? 'unknown', via: 'cli' });
    const facts = await gatherDoctorFacts(clients.ecs, cluster, values.service, { kms: new AwsKms(clients.kms) });
    const checks = doctorChecks(facts);
    io.stdout.write(renderChecklist(checks));
    return checks.some((c) => c.status === 'fail') ? 1 : 0;
  } catch (error) {
    const text = isBotError(error) || !(error instanceof Error) ? toUserMessage(error) : error.message;
    io.stderr.write(`ecs-exec doctor: ${text}\n`);
    return EXIT_COULD_NOT_RUN;
  } finally {
    factory.destroy();
  }
};
