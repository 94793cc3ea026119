import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ActionStatus,
  ActionType,
  decodeEncChallenge,
  decodeHandshakeResponse,
  encodeEncChallenge,
  encodeHandshakeComplete,
  encodeHandshakeRequest,
  PayloadType,
  toKmsEncryptionResult,
} from '../../ssm/codec/index.js';
import { createSessionCipher, type SessionCipher } from '../../ssm/session-crypto.js';
import type { AgentFaults } from './agent-faults.js';

/** The agent's version string in HandshakeRequests. */
export const SANDBOX_AGENT_VERSION = '3.3.987.0';
/** What the agent says when the client does not answer the handshake in time. */
export const HANDSHAKE_TIMEOUT_MESSAGE =
  'Handshake timed out. Please ensure that you have the latest version of the session manager plugin.';

export interface AgentHandshakeOptions {
  sessionId: string;
  targetId: string;
  kmsKeyId: string | undefined;
  /** Live: the session's faults as they are now. */
  faults: AgentFaults;
  /** kms:Decrypt as the agent does it, with the task role: throws when the blob or context is wrong. */
  decryptDataKey(blob: Buffer, context: Record<string, string>): Buffer;
  /** Queues one of the agent's sequenced messages. */
  send(payloadType: number, payload: Uint8Array): void;
  /** Each step the client must answer (re)starts the handshake timeout. */
  armTimeout(): void;
  /** The handshake failed: the session ends with this `channel_closed` output. */
  fail(output: string): void;
  /** The handshake completed (HandshakeComplete is queued): the command may start. */
  complete(): void;
}

/**
 * The agent's half of the handshake: SessionType always, KMSEncryption with a key (the client's data key, decrypted
 * with the task role, then an encryption challenge), HandshakeComplete at the end.
 */
export class AgentHandshake {
  private readonly options: AgentHandshakeOptions;
  private startedAt = 0;
  private challenge: Buffer | undefined;
  private kmsChallenge = '';
  private cipherValue: SessionCipher | undefined;

  constructor(options: AgentHandshakeOptions) {
    this.options = options;
  }

  /** Set once the client's data key was decrypted; every later Output payload goes through it. */
  get cipher(): SessionCipher | undefined {
    return this.cipherValue;
  }

  start(): void {
    this.startedAt = Date.now();
    const actions: Array<{ actionType: string; parameters: Record<string, unknown> }> = [
      { actionType: ActionType.SessionType, parameters: { SessionType: 'InteractiveCommands', Properties: null } },
    ];
    if (this.options.kmsKeyId !== undefined) {
      this.kmsChallenge = randomBytes(16).toString('base64');
      actions.push({
        actionType: ActionType.KmsEncryption,
        parameters: { KMSKeyId: this.options.kmsKeyId, Challenge: this.kmsChallenge },
      });
    }
    this.options.send(
      PayloadType.HandshakeRequest,
      encodeHandshakeRequest({ agentVersion: SANDBOX_AGENT_VERSION, actions }),
    );
    this.options.armTimeout();
  }

  /** Handles a client frame during the handshake; anything else than the two answers is thrown away. */
  receive(payloadType: number, payload: Uint8Array): void {
    if (payloadType === PayloadType.HandshakeResponse) this.onResponse(payload);
    else if (payloadType === PayloadType.EncChallengeResponse) this.onChallengeResponse(payload);
  }

  private onResponse(payload: Uint8Array): void {
    let response: ReturnType<typeof decodeHandshakeResponse>;
    try {
      response = decodeHandshakeResponse(payload);
    } catch {
      this.options.fail('Handshake failed: the handshake response could not be parsed.');
      return;
    }
    for (const action of response.actions) {
      if (action.actionStatus !== ActionStatus.Success) {
        this.options.fail(`Handshake failed: ${action.actionType} failed on the client: ${action.error}`);
        return;
      }
    }
    if (this.options.kmsKeyId === undefined) {
      this.finish('');
      return;
    }
    const kmsAction = response.actions.find((a) => a.actionType === ActionType.KmsEncryption);
    if (!kmsAction) {
      this.options.fail('Handshake failed: the client did not answer the KMSEncryption action.');
      return;
    }
    let cipher: SessionCipher;
    try {
      const result = toKmsEncryptionResult(kmsAction.actionResult);
      if (this.options.faults.requireChallengeAcknowledgement && !result.challengeAcknowledgement) {
        this.options.fail('Handshake failed: client does not support required encryption context random challenge');
        return;
      }
      const context: Record<string, string> = {
        'aws:ssm:SessionId': this.options.sessionId,
        'aws:ssm:TargetId': this.options.targetId,
      };
      if (result.challengeAcknowledgement) context['aws:ssm:RandomChallenge'] = this.kmsChallenge;
      const dataKey = this.options.decryptDataKey(Buffer.from(result.kmsCipherTextKey, 'base64'), context);
      cipher = createSessionCipher(dataKey, 'agent');
    } catch (error) {
      const reason = error instanceof Error && error.message ? error.message : String(error);
      const type = error instanceof Error && 'type' in error ? String((error as { type: unknown }).type) : 'Error';
      this.options.fail(`Handshake failed: KMS Decrypt of the data key failed: ${type}: ${reason}`);
      return;
    }
    this.cipherValue = cipher;
    this.challenge = randomBytes(64);
    this.options.send(PayloadType.EncChallengeRequest, encodeEncChallenge(cipher.encrypt(this.challenge)));
    this.options.armTimeout();
  }

  private onChallengeResponse(payload: Uint8Array): void {
    if (!this.cipherValue || !this.challenge) return;
    try {
      const answer = Buffer.from(this.cipherValue.decrypt(decodeEncChallenge(payload)));
      if (answer.length !== this.challenge.length || !timingSafeEqual(answer, this.challenge))
        throw new Error('mismatch');
    } catch {
      this.options.fail('Handshake failed: the encryption challenge response did not match.');
      return;
    }
    this.finish('This session is encrypted using AWS KMS.');
  }

  private finish(customerMessage: string): void {
    this.options.send(
      PayloadType.HandshakeComplete,
      encodeHandshakeComplete({
        handshakeTimeToComplete: (Date.now() - this.startedAt) * 1_000_000,
        customerMessage,
      }),
    );
    this.options.complete();
  }
}
