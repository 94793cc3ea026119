import { randomUUID } from 'node:crypto';
import { parseArn, type SandboxState } from '../state/sandbox-state.js';
import { AwsApiError } from './aws-error.js';
import type { CallContext, Principals } from './principals.js';

type Form = Record<string, string>;

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const NAME_CHARS = /^[\w+=,.@-]{2,64}$/;

/** Escapes text for an XML element body. */
export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function element(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** STS's query-protocol error body, which the SDK reads as `<Error><Code>`. */
export function stsErrorXml(type: string, message: string, requestId: string): string {
  const kind = type === 'InternalFailure' ? 'Receiver' : 'Sender';
  return `<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>${kind}</Type>${element('Code', type)}${element('Message', message)}</Error>${element('RequestId', requestId)}</ErrorResponse>`;
}

function validationError(message: string): AwsApiError {
  return new AwsApiError('ValidationError', message, 400);
}

/** The STS subset (awsQuery: form-encoded POST, XML answers): AssumeRole and GetCallerIdentity. */
export function createStsHandlers(
  state: SandboxState,
  principals: Principals,
): Record<string, (form: Form, ctx: CallContext) => string> {
  const envelope = (action: string, body: string): string =>
    `<${action}Response xmlns="${STS_NAMESPACE}"><${action}Result>${body}</${action}Result><ResponseMetadata>${element('RequestId', randomUUID())}</ResponseMetadata></${action}Response>`;

  return {
    AssumeRole: (form, ctx) => {
      const roleArn = form['RoleArn'] ?? '';
      const sessionName = form['RoleSessionName'] ?? '';
      const sourceIdentity = form['SourceIdentity'];
      const duration = form['DurationSeconds'] === undefined ? 3600 : Number(form['DurationSeconds']);
      const arn = parseArn(roleArn);
      if (arn?.service !== 'iam' || !arn.resource.startsWith('role/') || !/^\d{12}$/.test(arn.account)) {
        throw validationError(`${roleArn} is invalid`);
      }
      if (!NAME_CHARS.test(sessionName)) {
        throw validationError(
          "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and length 2-64",
        );
      }
      if (sourceIdentity !== undefined && (!NAME_CHARS.test(sourceIdentity) || sourceIdentity.startsWith('aws:'))) {
        throw validationError(
          "1 validation error detected: Value at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and length 2-64",
        );
      }
      if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
        throw validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
      }
      if (state.isRoleDenied(roleArn)) {
        throw new AwsApiError(
          'AccessDenied',
          `User: ${ctx.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          403,
        );
      }
      const issued = principals.issue({
        roleArn,
        account: arn.account,
        roleSessionName: sessionName,
        durationSeconds: duration,
        ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
      });
      const roleId = `AROA${issued.accessKeyId.slice(4)}`;
      return envelope(
        'AssumeRole',
        `${element('SourceIdentity', sourceIdentity)}<AssumedRoleUser>${element('AssumedRoleId', `${roleId}:${sessionName}`)}${element('Arn', issued.arn)}</AssumedRoleUser><Credentials>${element('AccessKeyId', issued.accessKeyId)}${element('SecretAccessKey', issued.secretAccessKey)}${element('SessionToken', issued.sessionToken)}${element('Expiration', new Date(issued.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'))}</Credentials>${element('PackedPolicySize', form['Policy'] ? 6 : undefined)}`,
      );
    },

    GetCallerIdentity: (_form, ctx) =>
      envelope(
        'GetCallerIdentity',
        `${element('UserId', ctx.principal.accessKeyId)}${element('Account', ctx.principal.account)}${element('Arn', ctx.principal.arn)}`,
      ),
  };
}
