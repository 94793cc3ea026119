import { describe, expect, it } from 'vitest';
import { SsmError } from '../../../src/ssm/errors.js';
import {
  answerEncryptionChallenge,
  createSessionCipher,
  decryptPayload,
  encryptPayload,
  splitDataKey,
} from '../../../src/ssm/session-crypto.js';
import { kmsVectors } from '../../fixtures/ssm/vectors.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (value: string) => new TextEncoder().encode(value);

describe('session crypto', () => {
  const keys = splitDataKey(kmsVectors.dataKey);

  it('splits the data key: 0-31 agent→client, 32-63 client→agent', () => {
    expect(keys.agentToClient[0]).toBe(0x00);
    expect(keys.agentToClient[31]).toBe(0x1f);
    expect(keys.clientToAgent[0]).toBe(0x20);
    expect(keys.clientToAgent[31]).toBe(0x3f);
    expect(() => splitDataKey(new Uint8Array(32))).toThrow(SsmError);
  });

  it('matches the agent→client vector', () => {
    const { plaintext, nonce, payload } = kmsVectors.agentToClient;
    expect(hex(encryptPayload(keys.agentToClient, bytes(plaintext), nonce))).toBe(hex(payload));
    expect(new TextDecoder().decode(decryptPayload(keys.agentToClient, payload))).toBe(plaintext);
  });

  it('matches the client→agent vector', () => {
    const { plaintext, nonce, payload } = kmsVectors.clientToAgent;
    expect(hex(encryptPayload(keys.clientToAgent, bytes(plaintext), nonce))).toBe(hex(payload));
    expect(new TextDecoder().decode(decryptPayload(keys.clientToAgent, payload))).toBe(plaintext);
  });

  it('client and agent ciphers talk to each other both ways, each message with a fresh nonce', () => {
    const client = createSessionCipher(kmsVectors.dataKey, 'client');
    const agent = createSessionCipher(kmsVectors.dataKey, 'agent');
    const down1 = agent.encrypt(bytes('output'));
    const down2 = agent.encrypt(bytes('output'));
    expect(hex(down1.subarray(0, 12))).not.toBe(hex(down2.subarray(0, 12)));
    expect(new TextDecoder().decode(client.decrypt(down1))).toBe('output');
    const up = client.encrypt(bytes('ls\r'));
    expect(up.length).toBe(3 + 28);
    expect(new TextDecoder().decode(agent.decrypt(up))).toBe('ls\r');
    // Decrypting with the wrong direction's key must fail.
    expect(() => client.decrypt(up)).toThrow(SsmError);
  });

  it('rejects a tampered or short payload with ssm.crypto.decrypt', () => {
    const tampered = Uint8Array.from(kmsVectors.agentToClient.payload);
    tampered[14] = (tampered[14] as number) ^ 1;
    expect(() => decryptPayload(keys.agentToClient, tampered)).toThrow(
      expect.objectContaining({ code: 'ssm.crypto.decrypt' }),
    );
    expect(() => decryptPayload(keys.agentToClient, new Uint8Array(27))).toThrow(SsmError);
  });

  it('answers the challenge: decrypt with the agent key, re-encrypt with the client key', () => {
    const secret = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
    const challenge = encryptPayload(keys.agentToClient, secret);
    expect(challenge.length).toBe(92);
    const answer = answerEncryptionChallenge(kmsVectors.dataKey, challenge);
    expect(hex(decryptPayload(keys.clientToAgent, answer))).toBe(hex(secret));
  });
});
