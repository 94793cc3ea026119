import { describe, expect, it } from 'vitest';
import { parseSigV4Authorization } from '../../../src/sandbox/aws-api/sigv4.js';

const SIG = 'a'.repeat(64);

describe('parseSigV4Authorization', () => {
  it('reads the access key, date, region and service of a well-formed header', () => {
    expect(
      parseSigV4Authorization(
        `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261128/eu-west-1/ecs/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=${SIG}`,
      ),
    ).toEqual({
      accessKeyId: 'AKIAEXAMPLE',
      date: '20261128',
      region: 'eu-west-1',
      service: 'ecs',
      signedHeaders: ['host', 'x-amz-date', 'x-amz-target'],
    });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['basic auth', 'Basic dXNlcjpwYXNz'],
    ['no signature', 'AWS4-HMAC-SHA256 Credential=AK/20261128/us-east-1/ecs/aws4_request, SignedHeaders=host'],
    [
      'short signature',
      'AWS4-HMAC-SHA256 Credential=AK/20261128/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=abc',
    ],
    [
      'host not signed',
      `AWS4-HMAC-SHA256 Credential=AK/20261128/us-east-1/ecs/aws4_request, SignedHeaders=x-amz-date, Signature=${SIG}`,
    ],
    [
      'bad scope',
      `AWS4-HMAC-SHA256 Credential=AK/2026/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=${SIG}`,
    ],
  ])('rejects %s', (_name, header) => {
    expect(parseSigV4Authorization(header)).toBeNull();
  });
});
