import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { SsmError } from './errors.js';

/**
 * KMS-mode payload encryption: AES-256-GCM, 12-byte nonce, 16-byte tag, no AAD; a payload on the wire is
 * nonce ‖ ciphertext ‖ tag. The 64-byte KMS data key is split: bytes 0-31 protect agent → client, 32-63 client → agent.
 */

export const DATA_KEY_BYTES = 64;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** Bytes an encrypted payload adds to its plaintext. */
export const ENCRYPTION_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/** The two directional keys of a 64-byte data key. */
export interface SessionKeys {
  agentToClient: Uint8Array;
  clientToAgent: Uint8Array;
}

/** @throws SsmError `ssm.crypto.data_key` when the key is not 64 bytes. */
export function splitDataKey(dataKey: Uint8Array): SessionKeys {
  if (dataKey.length !== DATA_KEY_BYTES) {
    throw new SsmError('ssm.crypto.data_key', `KMS data key is ${dataKey.length} bytes, expected ${DATA_KEY_BYTES}`);
  }
  return { agentToClient: dataKey.slice(0, 32), clientToAgent: dataKey.slice(32, 64) };
}

/** Encrypts `plaintext` under a 32-byte key; a random nonce is drawn unless one is given. */
export function encryptPayload(key: Uint8Array | KeyObject, plaintext: Uint8Array, nonce?: Uint8Array): Uint8Array {
  const iv = nonce ?? randomBytes(NONCE_BYTES);
  if (iv.length !== NONCE_BYTES) throw new SsmError('ssm.crypto.nonce', `nonce is ${iv.length} bytes`);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const out = new Uint8Array(plaintext.length + ENCRYPTION_OVERHEAD);
  out.set(iv, 0);
  const body = cipher.update(plaintext);
  out.set(body, NONCE_BYTES);
  const final = cipher.final();
  out.set(final, NONCE_BYTES + body.length);
  out.set(cipher.getAuthTag(), NONCE_BYTES + plaintext.length);
  return out;
}

/** Decrypts nonce ‖ ciphertext ‖ tag. @throws SsmError `ssm.crypto.decrypt` when it is too short or fails to authenticate. */
export function decryptPayload(key: Uint8Array | KeyObject, payload: Uint8Array): Uint8Array {
  if (payload.length < ENCRYPTION_OVERHEAD) {
    throw new SsmError('ssm.crypto.decrypt', `encrypted payload is ${payload.length} bytes, below the 28-byte minimum`);
  }
  const ciphertextEnd = payload.length - TAG_BYTES;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, payload.subarray(0, NONCE_BYTES));
    decipher.setAuthTag(payload.subarray(ciphertextEnd));
    const body = decipher.update(payload.subarray(NONCE_BYTES, ciphertextEnd));
    const final = decipher.final();
    if (final.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
    return new Uint8Array(Buffer.concat([body, final]));
  } catch (error) {
    throw new SsmError('ssm.crypto.decrypt', 'encrypted payload failed to authenticate', {
      cause: error,
      userMessage: 'The session’s encrypted data could not be decrypted.',
    });
  }
}

/** Encrypt/decrypt bound to one side of a session. */
export interface SessionCipher {
  /** Encrypts a payload this side sends. */
  encrypt(plaintext: Uint8Array): Uint8Array;
  /** Decrypts a payload the other side sent. @throws SsmError `ssm.crypto.decrypt` */
  decrypt(payload: Uint8Array): Uint8Array;
}

/**
 * Creates the cipher for the client (encrypts with bytes 32-63, decrypts with 0-31) or the agent (the reverse).
 * The client draws a random nonce per message; the agent, like the real one, counts up from a random start.
 */
export function createSessionCipher(dataKey: Uint8Array, side: 'client' | 'agent'): SessionCipher {
  const split = splitDataKey(dataKey);
  // Imported once: every frame is encrypted or decrypted, and importing a raw key per call is a third of the cost.
  const keys = {
    agentToClient: createSecretKey(split.agentToClient),
    clientToAgent: createSecretKey(split.clientToAgent),
  };
  if (side === 'client') {
    return {
      encrypt: (plaintext) => encryptPayload(keys.clientToAgent, plaintext),
      decrypt: (payload) => decryptPayload(keys.agentToClient, payload),
    };
  }
  const counter = randomBytes(NONCE_BYTES);
  return {
    encrypt: (plaintext) => {
      // Little-endian increment of the 96-bit counter.
      for (let i = 0; i < NONCE_BYTES; i += 1) {
        counter[i] = ((counter[i] as number) + 1) & 0xff;
        if (counter[i] !== 0) break;
      }
      return encryptPayload(keys.agentToClient, plaintext, Uint8Array.from(counter));
    },
    decrypt: (payload) => decryptPayload(keys.clientToAgent, payload),
  };
}

/**
 * Answers an EncChallengeRequest: decrypts the agent's challenge with the agent→client key and re-encrypts it with the
 * client→agent key under a fresh nonce.
 * @throws SsmError `ssm.crypto.decrypt` when the challenge does not authenticate.
 */
export function answerEncryptionChallenge(dataKey: Uint8Array, challenge: Uint8Array): Uint8Array {
  const keys = splitDataKey(dataKey);
  return encryptPayload(keys.clientToAgent, decryptPayload(keys.agentToClient, challenge));
}
