import type { PolicyDocument } from '../../iam/policy-document.js';
import { parseArn, type SandboxState } from '../state/sandbox-state.js';
import { AwsApiError } from './aws-error.js';
import type { SandboxConfigObjects } from './config-objects.js';
import { type AuthorizationRequest, evaluatePolicies, trustAllows } from './iam-evaluator.js';
import type { CallContext, Principal } from './principals.js';

/** IAM for the sandbox: when given, every call is checked against the policies of the principal that signed it. */
export interface SandboxIamOptions {
  /** Identity policies by role ARN (an assumed-role session is judged by its role's policies) or user ARN. */
  policies: Record<string, PolicyDocument>;
  /** Trust policies by role ARN; a role without one cannot be assumed. */
  trust?: Record<string, PolicyDocument>;
  /**
   * The role the static sandbox credentials are a session of (as a task role's credentials are); without it they
   * belong to `user/sandbox`.
   */
  staticRoleArn?: string;
}

type Input = Record<string, unknown>;

const text = (input: Input, key: string): string | undefined =>
  typeof input[key] === 'string' ? (input[key] as string) : undefined;
const list = (input: Input, key: string): string[] =>
  Array.isArray(input[key]) ? (input[key] as unknown[]).filter((v): v is string => typeof v === 'string') : [];

/**
 * The questions AWS asks for one call: the action, the ARN of each resource it touches (ARN shapes as in the
 * Service Authorization Reference; `*` for actions without resource-level permissions) and the context keys.
 * `undefined` for calls that need no permission (sts:GetCallerIdentity).
 */
export function authorizationRequests(
  service: string,
  operation: string,
  input: Input,
  ctx: CallContext,
  state: SandboxState,
  configObjects?: SandboxConfigObjects,
): AuthorizationRequest[] | undefined {
  const { region } = ctx;
  const account = ctx.principal.account;
  const global = {
    'aws:PrincipalArn': ctx.principal.roleArn ?? ctx.principal.arn,
    'aws:PrincipalAccount': account,
    'aws:SourceIdentity': ctx.principal.sourceIdentity,
  };
  const ask = (action: string, resource: string, extra: Record<string, string | undefined> = {}) => ({
    action,
    resource,
    context: { ...global, ...extra },
  });
  const clusterArnOf = (ref: string | undefined): string => {
    const name = ref ?? 'default';
    return name.startsWith('arn:') ? name : `arn:aws:ecs:${region}:${account}:cluster/${name}`;
  };
  const inCluster = (kind: string, clusterArn: string, ref: string): string => {
    if (ref.startsWith('arn:')) return ref;
    const arn = parseArn(clusterArn);
    const clusterName = arn?.resource.replace(/^cluster\//, '') ?? clusterArn;
    return `arn:aws:ecs:${arn?.region ?? region}:${arn?.account ?? account}:${kind}/${clusterName}/${ref}`;
  };
  const action = `${service}:${operation}`;

  if (service === 'ecs') {
    const clusterArn = clusterArnOf(text(input, 'cluster'));
    const inThisCluster = { 'ecs:cluster': clusterArn };
    switch (operation) {
      case 'ListTasks':
      case 'ListServices':
        return [ask(action, '*', inThisCluster)];
      case 'ListClusters':
      case 'DescribeTaskDefinition':
        return [ask(action, '*')];
      case 'DescribeClusters':
        return (list(input, 'clusters').length > 0 ? list(input, 'clusters') : ['default']).map((ref) =>
          ask(action, clusterArnOf(ref)),
        );
      case 'DescribeTasks':
        return list(input, 'tasks').map((ref) => ask(action, inCluster('task', clusterArn, ref), inThisCluster));
      case 'DescribeServices':
        return list(input, 'services').map((ref) => ask(action, inCluster('service', clusterArn, ref), inThisCluster));
      case 'DescribeContainerInstances':
        return list(input, 'containerInstances').map((ref) =>
          ask(action, inCluster('container-instance', clusterArn, ref), inThisCluster),
        );
      case 'ExecuteCommand': {
        // ExecuteCommand needs both the cluster and the task resource.
        const taskArn = inCluster('task', clusterArn, text(input, 'task') ?? '');
        const context = { ...inThisCluster, 'ecs:task': taskArn, 'ecs:container-name': text(input, 'container') };
        return [ask(action, clusterArn, context), ask(action, taskArn, context)];
      }
      default:
        return [ask(action, '*')];
    }
  }
  if (service === 'ssm' && operation === 'GetParameter') {
    const given = text(input, 'Name') ?? '';
    const name = given.replace(/:\d+$/, '');
    const parameterArn = `arn:aws:ssm:${region}:${account}:parameter${name.startsWith('/') ? name : `/${name}`}`;
    const requests = [ask(action, parameterArn)];
    // SSM decrypts a SecureString with the caller's own permission on its key (kms:Decrypt via SSM, with the
    // parameter's ARN as encryption context); the AWS managed key alias/aws/ssm lets every principal of the account.
    const stored = configObjects?.parameter(name);
    if (stored?.type === 'SecureString' && input['WithDecryption'] === true && stored.keyId !== 'alias/aws/ssm') {
      const ref = stored.keyId ?? '';
      const keyArn = state.findKmsKey(account, region, ref)?.arn;
      requests.push(
        ask('kms:Decrypt', keyArn ?? (ref.startsWith('arn:') ? ref : `arn:aws:kms:${region}:${account}:key/${ref}`), {
          'kms:ViaService': `ssm.${region}.amazonaws.com`,
          'kms:EncryptionContext:PARAMETER_ARN': parameterArn,
        }),
      );
    }
    return requests;
  }
  if (service === 'ssm') {
    return [ask(action, `arn:aws:ssm:${region}:${account}:session/${text(input, 'SessionId') ?? ''}`)];
  }
  if (service === 's3') {
    // HeadObject is authorised as s3:GetObject; there is no action of its own.
    return [ask('s3:GetObject', `arn:aws:s3:::${text(input, 'Bucket') ?? ''}/${text(input, 'Key') ?? ''}`)];
  }
  if (service === 'kms') {
    const ref = text(input, 'KeyId') ?? '';
    const known = state.findKmsKey(account, region, ref)?.arn;
    return [ask(action, known ?? (ref.startsWith('arn:') ? ref : `arn:aws:kms:${region}:${account}:key/${ref}`))];
  }
  if (service === 'sts' && operation === 'AssumeRole') {
    const roleArn = text(input, 'RoleArn') ?? '';
    const sourceIdentity = text(input, 'SourceIdentity');
    const context = { 'sts:SourceIdentity': sourceIdentity };
    return [
      ask('sts:AssumeRole', roleArn, context),
      ...(sourceIdentity !== undefined ? [ask('sts:SetSourceIdentity', roleArn, context)] : []),
    ];
  }
  return undefined;
}

/** The error AWS gives for a refused call, naming the action, the resource and why. */
function accessDenied(service: string, principal: Principal, request: AuthorizationRequest, why: string): AwsApiError {
  const message =
    `User: ${principal.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`.trim();
  return service === 'sts' || service === 's3'
    ? new AwsApiError('AccessDenied', message, 403)
    : new AwsApiError('AccessDeniedException', message, 400);
}

/** Checks one call; throws the AccessDenied AWS would answer with. */
export function authorizeCall(
  iam: SandboxIamOptions,
  state: SandboxState,
  service: string,
  operation: string,
  input: Input,
  ctx: CallContext,
  configObjects?: SandboxConfigObjects,
): void {
  const requests = authorizationRequests(service, operation, input, ctx, state, configObjects);
  if (!requests) return;
  const identity = ctx.principal.roleArn ?? ctx.principal.arn;
  const policy = iam.policies[identity];
  for (const request of requests) {
    const decision = policy ? evaluatePolicies([policy], request) : 'implicit-deny';
    if (decision === 'explicit-deny') {
      throw accessDenied(service, ctx.principal, request, 'with an explicit deny in an identity-based policy');
    }
    if (decision === 'implicit-deny') {
      throw accessDenied(
        service,
        ctx.principal,
        request,
        `because no identity-based policy allows the ${request.action} action`,
      );
    }
    if (service === 'sts') {
      const trust = iam.trust?.[request.resource];
      const principals = [ctx.principal.arn, ...(ctx.principal.roleArn ? [ctx.principal.roleArn] : [])];
      // AWS does not say why a trust policy refused; neither does the sandbox.
      if (!trust || !trustAllows(trust, principals, request)) throw accessDenied(service, ctx.principal, request, '');
    }
  }
}

/** Whether the signer's policies allow one action on one resource (S3 answers a missing key by what it may list). */
export function allows(iam: SandboxIamOptions, ctx: CallContext, action: string, resource: string): boolean {
  const policy = iam.policies[ctx.principal.roleArn ?? ctx.principal.arn];
  return policy !== undefined && evaluatePolicies([policy], { action, resource, context: {} }) === 'allow';
}
