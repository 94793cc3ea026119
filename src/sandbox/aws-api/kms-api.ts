import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { canonicalJson } from '../../shared/canonical-json.js';
import type { KmsKey } from '../state/model.js';
import type { SandboxState } from '../state/sandbox-state.js';
import { AwsApiError } from './aws-error.js';
import type { CallContext } from './principals.js';

type Input = Record<string, unknown>;

const BLOB_MAGIC = Buffer.from('SBXK');

function canonicalContext(context: Record<string, string> | undefined): string {
  if (!context) return '{}';
  return canonicalJson(context);
}

function readContext(input: Input): Record<string, string> | undefined {
  const value = input['EncryptionContext'];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new AwsApiError('ValidationException', 'EncryptionContext must be a map of strings');
  }
  return value as Record<string, string>;
}

/**
 * KMS with real key material. A ciphertext blob is the data key sealed with AES-256-GCM under this sandbox's
 * master secret, with the key ARN and the encryption context as additional data, so Decrypt only succeeds with the
 * same context, exactly the property the data-channel handshake relies on.
 */
export class SandboxKms {
  private readonly masterKey = randomBytes(32);

  constructor(private readonly state: SandboxState) {}

  private requireKey(account: string, region: string, ref: string): KmsKey {
    const key = this.state.findKmsKey(account, region, ref);
    if (!key) throw new AwsApiError('NotFoundException', `Key '${ref}' does not exist`);
    if (!key.enabled) throw new AwsApiError('DisabledException', `${key.arn} is disabled.`);
    return key;
  }

  /** Makes `numberOfBytes` of fresh key material and its blob, bound to `context`. */
  generateDataKey(
    account: string,
    region: string,
    keyRef: string,
    numberOfBytes: number,
    context: Record<string, string> | undefined,
  ): { keyArn: string; plaintext: Buffer; ciphertextBlob: Buffer } {
    const key = this.requireKey(account, region, keyRef);
    const plaintext = randomBytes(numberOfBytes);
    const arn = Buffer.from(key.arn);
    const header = Buffer.alloc(6);
    BLOB_MAGIC.copy(header, 0);
    header.writeUInt16BE(arn.length, 4);
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, nonce);
    cipher.setAAD(Buffer.concat([arn, Buffer.from(canonicalContext(context))]));
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { keyArn: key.arn, plaintext, ciphertextBlob: Buffer.concat([header, arn, nonce, sealed]) };
  }

  /** Opens a blob made by `generateDataKey`; the context must match the one it was made with. */
  decrypt(
    account: string,
    region: string,
    blob: Buffer,
    context: Record<string, string> | undefined,
    keyRef?: string,
  ): { keyArn: string; plaintext: Buffer } {
    if (blob.length < 6 + 12 + 16 || !blob.subarray(0, 4).equals(BLOB_MAGIC)) {
      throw new AwsApiError('InvalidCiphertextException', '');
    }
    const arnLength = blob.readUInt16BE(4);
    const arnEnd = 6 + arnLength;
    if (blob.length < arnEnd + 12 + 16) throw new AwsApiError('InvalidCiphertextException', '');
    const keyArn = blob.subarray(6, arnEnd).toString();
    const key = this.state.findKmsKey(account, region, keyArn);
    if (!key) {
      throw new AwsApiError(
        'AccessDeniedException',
        'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
      );
    }
    if (!key.enabled) throw new AwsApiError('DisabledException', `${key.arn} is disabled.`);
    if (keyRef !== undefined && this.state.findKmsKey(account, region, keyRef)?.arn !== key.arn) {
      throw new AwsApiError(
        'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.',
      );
    }
    const nonce = blob.subarray(arnEnd, arnEnd + 12);
    const sealed = blob.subarray(arnEnd + 12);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.masterKey, nonce);
      decipher.setAAD(Buffer.concat([Buffer.from(keyArn), Buffer.from(canonicalContext(context))]));
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      const plaintext = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
      return { keyArn, plaintext };
    } catch {
      throw new AwsApiError('InvalidCiphertextException', '');
    }
  }
}

/** The KMS subset of the sandbox: X-Amz-Target `TrentService.<Operation>`. */
export function createKmsHandlers(kms: SandboxKms): Record<string, (input: Input, ctx: CallContext) => unknown> {
  return {
    GenerateDataKey: (input, ctx) => {
      const keyId = input['KeyId'];
      if (typeof keyId !== 'string' || keyId === '') throw new AwsApiError('ValidationException', 'KeyId is required');
      const keySpec = input['KeySpec'];
      let numberOfBytes = input['NumberOfBytes'];
      if (numberOfBytes === undefined && keySpec === undefined) {
        throw new AwsApiError('ValidationException', 'Please specify either number of bytes or key spec.');
      }
      if (numberOfBytes === undefined) numberOfBytes = keySpec === 'AES_128' ? 16 : 32;
      if (
        typeof numberOfBytes !== 'number' ||
        !Number.isInteger(numberOfBytes) ||
        numberOfBytes < 1 ||
        numberOfBytes > 1024
      ) {
        throw new AwsApiError(
          'ValidationException',
          "1 validation error detected: Value at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
        );
      }
      const result = kms.generateDataKey(ctx.principal.account, ctx.region, keyId, numberOfBytes, readContext(input));
      return {
        KeyId: result.keyArn,
        Plaintext: result.plaintext.toString('base64'),
        CiphertextBlob: result.ciphertextBlob.toString('base64'),
      };
    },

    Decrypt: (input, ctx) => {
      const blob = input['CiphertextBlob'];
      if (typeof blob !== 'string') throw new AwsApiError('ValidationException', 'CiphertextBlob is required');
      const keyId = input['KeyId'];
      const result = kms.decrypt(
        ctx.principal.account,
        ctx.region,
        Buffer.from(blob, 'base64'),
        readContext(input),
        typeof keyId === 'string' ? keyId : undefined,
      );
      return {
        KeyId: result.keyArn,
        Plaintext: result.plaintext.toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
  };
}
