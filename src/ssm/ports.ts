/** The SSM control-plane calls a session needs (at the SSM endpoint, not ECS's). */
export interface SsmControlPort {
  /** New stream URL and token for re-attaching this client's broken socket; an empty token means the session is gone. */
  resumeSession(sessionId: string): Promise<{ streamUrl: string; tokenValue: string }>;
  terminateSession(sessionId: string): Promise<void>;
}

/** KMS GenerateDataKey, as the KMS-encrypted handshake needs it. */
export interface KmsPort {
  generateDataKey(input: {
    keyId: string;
    encryptionContext: Record<string, string>;
    numberOfBytes: number;
  }): Promise<{ plaintext: Uint8Array; ciphertextBlob: Uint8Array }>;
}
