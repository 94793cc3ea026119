import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { AwsApiError } from './aws-error.js';
import type { SandboxConfigObjects } from './config-objects.js';

/** What an S3 request asks for, read from its method, path and Host. */
export interface S3Request {
  operation: 'GetObject' | 'HeadObject';
  bucket: string;
  key: string;
}

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Reads the bucket and key: path-style (`/bucket/key`) or virtual-hosted (`bucket.localhost`, `bucket.s3.…`), the two
 * addressing styles of the S3 REST API. Only object reads are served: the bot's config is all that lives here.
 */
export function parseS3Request(req: IncomingMessage): S3Request {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  const virtual = isIP(host) === 0 ? /^([a-z0-9][a-z0-9.-]*?)\.(?:localhost|s3\..*)$/.exec(host) : null;
  const parts = url.pathname.split('/').slice(1);
  const bucket = virtual ? (virtual[1] ?? '') : decodeURIComponent(parts.shift() ?? '');
  const key = parts.map((part) => decodeURIComponent(part)).join('/');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new AwsApiError(
      'MethodNotAllowed',
      `The sandbox serves only GetObject and HeadObject, not ${req.method}`,
      405,
    );
  }
  if (bucket === '' || key === '') {
    throw new AwsApiError('InvalidRequest', 'The sandbox serves objects only: GET /bucket/key', 400);
  }
  return { operation: req.method === 'HEAD' ? 'HeadObject' : 'GetObject', bucket, key };
}

/** Writes an S3 error: its XML body (none for HEAD, as S3), the status and the request id. */
export function sendS3Error(res: ServerResponse, req: IncomingMessage, error: AwsApiError, requestId: string): void {
  const body =
    req.method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(error.type)}</Code><Message>${escapeXml(error.message)}</Message><RequestId>${requestId}</RequestId></Error>`;
  res.writeHead(error.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': requestId,
  });
  res.end(body);
}

/**
 * Answers GetObject / HeadObject with the stored object, its ETag and Last-Modified; `If-None-Match` with the current
 * ETag answers 304 Not Modified without a body, which is how the bot polls its config cheaply.
 * `mayList` says whether the caller may list the bucket: without it S3 answers a missing key with 403, not 404.
 */
export function serveS3Object(
  req: IncomingMessage,
  res: ServerResponse,
  request: S3Request,
  objects: SandboxConfigObjects,
  mayList: boolean,
  requestId: string,
): void {
  if (!objects.hasBucket(request.bucket)) {
    throw new AwsApiError('NoSuchBucket', 'The specified bucket does not exist', 404);
  }
  const object = objects.object(request.bucket, request.key);
  if (!object) {
    if (!mayList) throw new AwsApiError('AccessDenied', 'Access Denied', 403);
    throw new AwsApiError('NoSuchKey', 'The specified key does not exist.', 404);
  }
  const headers = {
    etag: object.etag,
    'last-modified': new Date(object.lastModifiedMs).toUTCString(),
    'x-amz-request-id': requestId,
  };
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch?.split(',').some((tag) => tag.trim() === object.etag || tag.trim() === '*')) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...headers,
    'content-type': 'application/octet-stream',
    'content-length': object.body.length,
  });
  res.end(req.method === 'HEAD' ? undefined : object.body);
}
