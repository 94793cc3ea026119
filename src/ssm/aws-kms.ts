import { GenerateDataKeyCommand, type GenerateDataKeyCommandOutput, type KMSClient } from '@aws-sdk/client-kms';
import { SsmError } from './errors.js';
import type { KmsPort } from './ports.js';

/** KmsPort over an injected KMSClient. */
export class AwsKms implements KmsPort {
  constructor(private readonly client: KMSClient) {}

  /** @throws SsmError `ssm.kms.generate_data_key` when KMS refuses or returns no key. */
  async generateDataKey(input: {
    keyId: string;
    encryptionContext: Record<string, string>;
    numberOfBytes: number;
  }): Promise<{ plaintext: Uint8Array; ciphertextBlob: Uint8Array }> {
    let out: GenerateDataKeyCommandOutput;
    try {
      out = await this.client.send(
        new GenerateDataKeyCommand({
          KeyId: input.keyId,
          EncryptionContext: input.encryptionContext,
          NumberOfBytes: input.numberOfBytes,
        }),
      );
    } catch (error) {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new SsmError('ssm.kms.generate_data_key', `KMS GenerateDataKey failed: ${text}`, {
        cause: error,
        userMessage: `KMS refused to create the session data key (${error instanceof Error ? error.name : 'error'}).`,
      });
    }
    if (!out.Plaintext || !out.CiphertextBlob) {
      throw new SsmError('ssm.kms.generate_data_key', 'KMS GenerateDataKey returned no key material');
    }
    return { plaintext: out.Plaintext, ciphertextBlob: out.CiphertextBlob };
  }
}
