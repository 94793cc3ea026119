import { parseArgs } from 'node:util';
import { configFilePath } from '../../config/config-file.js';
import { ConfigSourceError, parseConfigLocation } from '../../config/config-source.js';
import { ConfigError, formatConfigIssue } from '../../config/errors.js';
import { generatePolicies, IamPolicyInputError } from '../../iam/generate-policies.js';
import { type CliCommand, EXIT_COULD_NOT_RUN } from '../io.js';
import { readConfigAt } from '../read-config.js';

const USAGE = `Usage: ecs-exec iam-policy [--config FILE] [--account ID] [--bot-role-arn ARN]
                          [--config-source ssm:/NAME|s3://BUCKET/KEY [--config-kms-key KEY_ARN]]

Prints, as JSON, the least-privilege IAM policies the config needs:
  botRole        the permissions of the bot's own role (its ECS task role)
  clusterRoles   for each roleArn of the config: its permissions and the trust policy that lets the bot assume it
                 only when it names the Slack user as SourceIdentity
--config       the config file (default: $ECS_EXEC_CONFIG or ./ecs-exec.yml); also ssm:/NAME or s3://BUCKET/KEY
--account      account of clusters given by name without "account", and of the default bot role
--bot-role-arn the bot's role, named in trust policies (default: role/ecs-exec-bot in the first cluster's account)
--config-source  where the bot reads the config (its ECS_EXEC_CONFIG): adds ssm:GetParameter on that parameter
                 (in AWS_REGION, else the first cluster's region) or s3:GetObject on that object to the bot's role
--config-kms-key the customer managed KMS key of a SecureString parameter: adds kms:Decrypt on it, through SSM only
`;

/** `ecs-exec iam-policy`: the policies on stdout; problems with the config on stderr and exit 255. */
export const iamPolicyCommand: CliCommand = async (args, io) => {
  let values: {
    config?: string;
    account?: string;
    'bot-role-arn'?: string;
    'config-source'?: string;
    'config-kms-key'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        account: { type: 'string' },
        'bot-role-arn': { type: 'string' },
        'config-source': { type: 'string' },
        'config-kms-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    io.stderr.write(`ecs-exec iam-policy: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return EXIT_COULD_NOT_RUN;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    io.stderr.write('ecs-exec iam-policy: --account must be a 12-digit AWS account id\n');
    return EXIT_COULD_NOT_RUN;
  }
  const source = values['config-source'] === undefined ? undefined : parseConfigLocation(values['config-source']);
  if (source && 'error' in source) {
    io.stderr.write(`ecs-exec iam-policy: --config-source ${source.error}\n`);
    return EXIT_COULD_NOT_RUN;
  }
  const kmsKeyArn = values['config-kms-key'];
  if (kmsKeyArn !== undefined && (source?.kind !== 'ssm' || !/^arn:[^:]+:kms:[^:]+:\d{12}:key\/.+$/.test(kmsKeyArn))) {
    io.stderr.write('ecs-exec iam-policy: --config-kms-key takes a KMS key ARN, with an ssm:/ --config-source\n');
    return EXIT_COULD_NOT_RUN;
  }
  const path = configFilePath(io.env, values.config);
  try {
    const region = io.env['AWS_REGION'];
    const policy = await readConfigAt(path, io.env);
    const policies = generatePolicies(policy, {
      ...(values.account ? { account: values.account } : {}),
      ...(values['bot-role-arn'] ? { botRoleArn: values['bot-role-arn'] } : {}),
      ...(source
        ? { configSource: { location: source, ...(region ? { region } : {}), ...(kmsKeyArn ? { kmsKeyArn } : {}) } }
        : {}),
    });
    io.stdout.write(`${JSON.stringify(policies, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`ecs-exec iam-policy: ${path} is not valid:\n`);
      for (const issue of error.issues) io.stderr.write(`  ${formatConfigIssue(issue)}\n`);
    } else if (error instanceof ConfigSourceError) {
      io.stderr.write(`ecs-exec iam-policy: ${error.message}\n`);
    } else if (error instanceof IamPolicyInputError) {
      for (const problem of error.problems) io.stderr.write(`ecs-exec iam-policy: ${problem}\n`);
    } else {
      const code = (error as NodeJS.ErrnoException).code;
      io.stderr.write(
        `ecs-exec iam-policy: ${code === 'ENOENT' ? `cannot read "${path}": no such file` : String(error)}\n`,
      );
    }
    return EXIT_COULD_NOT_RUN;
  }
};
