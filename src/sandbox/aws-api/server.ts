import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecSessionsPort } from '../exec-sessions-port.js';
import type { SandboxState } from '../state/sandbox-state.js';
import type { ApiFaults } from './api-faults.js';
import { AwsApiError } from './aws-error.js';
import type { RecordedCall } from './calls.js';
import type { SandboxConfigObjects } from './config-objects.js';
import { createEcsHandlers } from './ecs-api.js';
import { createKmsHandlers, type SandboxKms } from './kms-api.js';
import type { CallContext, Principals } from './principals.js';
import { parseS3Request, sendS3Error, serveS3Object } from './s3-api.js';
import { allows, authorizeCall, type SandboxIamOptions } from './sandbox-iam.js';
import { parseSigV4Authorization } from './sigv4.js';
import { createSsmHandlers } from './ssm-api.js';
import { createStsHandlers, stsErrorXml } from './sts-api.js';

type JsonHandler = (input: Record<string, unknown>, ctx: CallContext) => unknown;
type JsonService = 'ecs' | 'kms' | 'ssm';

/** X-Amz-Target prefixes of the JSON 1.1 services the sandbox speaks. */
const TARGET_PREFIXES: Record<string, JsonService> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  TrentService: 'kms',
  AmazonSSM: 'ssm',
};

const MAX_BODY_BYTES = 1024 * 1024;

export interface AwsApiDeps {
  state: SandboxState;
  sessions: ExecSessionsPort;
  kms: SandboxKms;
  principals: Principals;
  faults: ApiFaults;
  /** SSM parameters and S3 objects (the bot's config). */
  configObjects: SandboxConfigObjects;
  record: (call: RecordedCall) => void;
  /** When set, every call is checked against the signer's IAM policies; otherwise everything is allowed. */
  iam?: SandboxIamOptions;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AwsApiError('SerializationException', 'Request body too large', 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * One request handler for ECS, KMS and SSM (AWS JSON 1.1, routed by `X-Amz-Target`) and STS (awsQuery, routed by
 * the form's `Action`), so one base URL serves every `AWS_ENDPOINT_URL_*`. SigV4 is required in form, not checked; with `iam`, the
 * signer's policies are.
 */
export function createAwsApiHandler(deps: AwsApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const json: Record<JsonService, Record<string, JsonHandler>> = {
    ecs: createEcsHandlers(deps.state, deps.sessions),
    kms: createKmsHandlers(deps.kms),
    ssm: createSsmHandlers(deps.sessions, deps.configObjects),
  };
  const sts = createStsHandlers(deps.state, deps.principals);

  const respond = (res: ServerResponse, status: number, contentType: string, body: string, requestId: string): void => {
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
    });
    res.end(body);
  };

  const sendJsonError = (res: ServerResponse, error: AwsApiError, requestId: string): void => {
    const body = JSON.stringify({ __type: error.type, message: error.message });
    res.writeHead(error.status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.type,
    });
    res.end(body);
  };

  /** S3's REST API: GET and HEAD of an object, addressed by path or by host; errors in S3's XML. */
  const handleS3 = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> => {
    const fail = (error: AwsApiError): void => sendS3Error(res, req, error, requestId);
    const credential = parseSigV4Authorization(req.headers.authorization);
    if (credential?.service !== 's3') {
      fail(new AwsApiError('AccessDenied', 'Anonymous or malformed requests are not allowed', 403));
      return;
    }
    let request: ReturnType<typeof parseS3Request>;
    try {
      request = parseS3Request(req);
    } catch (error) {
      fail(error instanceof AwsApiError ? error : new AwsApiError('InvalidRequest', 'Malformed request'));
      return;
    }
    const principal = deps.principals.resolve(credential.accessKeyId);
    const ctx: CallContext = { principal, region: credential.region };
    const input = { Bucket: request.bucket, Key: request.key };
    const call: RecordedCall = {
      service: 's3',
      operation: request.operation,
      input,
      region: credential.region,
      account: principal.account,
      accessKeyId: principal.accessKeyId,
      principalArn: principal.arn,
      at: Date.now(),
    };
    deps.record(call);
    try {
      if (deps.iam) authorizeCall(deps.iam, deps.state, 's3', request.operation, input, ctx);
      const fault = deps.faults.take('s3', request.operation);
      if (fault.reset) {
        call.error = 'ConnectionReset';
        req.socket.destroy();
        return;
      }
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.error) throw new AwsApiError(fault.error.type, fault.error.message, fault.error.status);
      const mayList = !deps.iam || allows(deps.iam, ctx, 's3:ListBucket', `arn:aws:s3:::${request.bucket}`);
      serveS3Object(req, res, request, deps.configObjects, mayList, requestId);
    } catch (error) {
      const apiError = error instanceof AwsApiError ? error : new AwsApiError('InternalError', 'Internal error', 500);
      call.error = apiError.type;
      fail(apiError);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    if (req.method === 'GET' || req.method === 'HEAD') {
      await handleS3(req, res, requestId);
      return;
    }
    const target = req.headers['x-amz-target'];
    const contentType = req.headers['content-type'] ?? '';
    const isQuery = target === undefined && contentType.startsWith('application/x-www-form-urlencoded');
    const fail = (error: AwsApiError): void => {
      if (isQuery) respond(res, error.status, 'text/xml', stsErrorXml(error.type, error.message, requestId), requestId);
      else sendJsonError(res, error, requestId);
    };

    if (req.method !== 'POST') {
      fail(new AwsApiError('UnknownOperationException', `Unsupported method ${req.method ?? ''}`, 404));
      return;
    }
    let service: JsonService | 'sts';
    let operation: string;
    let input: Record<string, unknown>;
    try {
      const body = await readBody(req);
      if (typeof target === 'string') {
        const [prefix = '', op = ''] = target.split('.');
        const known = TARGET_PREFIXES[prefix];
        if (!known) throw new AwsApiError('UnknownOperationException', `Unknown target ${target}`);
        service = known;
        operation = op;
        const parsed: unknown = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          throw new AwsApiError('SerializationException', 'Request body must be a JSON object');
        }
        input = parsed as Record<string, unknown>;
      } else if (isQuery) {
        service = 'sts';
        input = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
        operation = String(input['Action'] ?? '');
      } else {
        throw new AwsApiError('UnknownOperationException', 'Missing X-Amz-Target header', 404);
      }
    } catch (error) {
      fail(error instanceof AwsApiError ? error : new AwsApiError('SerializationException', 'Malformed request body'));
      return;
    }

    const credential = parseSigV4Authorization(req.headers.authorization);
    if (!credential) {
      fail(
        new AwsApiError(
          req.headers.authorization ? 'IncompleteSignatureException' : 'MissingAuthenticationTokenException',
          req.headers.authorization
            ? 'Authorization header requires Credential, SignedHeaders and Signature, signed with AWS4-HMAC-SHA256.'
            : 'Missing Authentication Token',
          403,
        ),
      );
      return;
    }
    if (credential.service !== service) {
      fail(
        new AwsApiError(
          'InvalidSignatureException',
          `Credential should be scoped to correct service: '${service}'.`,
          403,
        ),
      );
      return;
    }
    const principal = deps.principals.resolve(credential.accessKeyId);
    const ctx: CallContext = { principal, region: credential.region };
    const call: RecordedCall = {
      service,
      operation,
      input,
      region: credential.region,
      account: principal.account,
      accessKeyId: principal.accessKeyId,
      principalArn: principal.arn,
      at: Date.now(),
    };
    const sourceIdentity =
      service === 'sts' && operation === 'AssumeRole' ? input['SourceIdentity'] : principal.sourceIdentity;
    if (typeof sourceIdentity === 'string') call.sourceIdentity = sourceIdentity;
    deps.record(call);

    try {
      if (deps.iam) authorizeCall(deps.iam, deps.state, service, operation, input, ctx, deps.configObjects);
      const fault = deps.faults.take(service, operation);
      if (fault.reset) {
        call.error = 'ConnectionReset';
        req.socket.destroy();
        return;
      }
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.error) throw new AwsApiError(fault.error.type, fault.error.message, fault.error.status);
      if (service === 'sts') {
        const handler = sts[operation];
        if (!handler)
          throw new AwsApiError('InvalidAction', `Could not find operation ${operation} for version 2011-06-15`);
        respond(res, 200, 'text/xml', handler(input as Record<string, string>, ctx), requestId);
        return;
      }
      const handler = json[service][operation];
      if (!handler) throw new AwsApiError('UnknownOperationException', `Operation ${operation} is not supported`);
      const output = await handler(input, ctx);
      respond(res, 200, 'application/x-amz-json-1.1', JSON.stringify(output), requestId);
    } catch (error) {
      const apiError =
        error instanceof AwsApiError
          ? error
          : new AwsApiError(service === 'ecs' ? 'ServerException' : 'InternalFailure', 'Internal error', 500);
      call.error = apiError.type;
      fail(apiError);
    }
  };

  return (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
}
