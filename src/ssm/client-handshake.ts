import type { Logger } from '../shared/logger.js';
import { PayloadType } from './codec/layout.js';
import {
  ActionStatus,
  ActionType,
  decodeEncChallenge,
  decodeHandshakeComplete,
  decodeHandshakeRequest,
  encodeEncChallenge,
  encodeHandshakeResponse,
  type HandshakeRequest,
  kmsEncryptionResult,
  type ProcessedClientAction,
  toKmsEncryptionParameters,
} from './codec/payloads.js';
import { SsmError } from './errors.js';
import type { KmsPort } from './ports.js';
import {
  answerEncryptionChallenge,
  createSessionCipher,
  DATA_KEY_BYTES,
  type SessionCipher,
} from './session-crypto.js';

/** The client version advertised: a realistic released one (some agents treat unknown versions as too old). */
export const CLIENT_VERSION = '1.2.650.0';

const SUPPORTED_SESSION_TYPES = new Set(['Standard_Stream', 'InteractiveCommands', 'NonInteractiveCommands']);

export interface HandshakeContext {
  sessionId: string;
  /** `ecs:<cluster>_<task>_<runtimeId>`; part of the KMS encryption context. */
  targetId: string;
  kms: KmsPort;
  /** Add `aws:ssm:RandomChallenge` to the KMS context and acknowledge it. */
  kmsChallengeContext: boolean;
}

/** The client's answer to a HandshakeRequest: one processed action per requested one, in order. */
export interface HandshakeAnswer {
  actions: ProcessedClientAction[];
  /** Set when an action failed: the response still goes out (so the agent can say why), then the channel fails. */
  failure: SsmError | null;
  /** The plaintext KMS data key when the session is to be encrypted. */
  dataKey: Uint8Array | null;
}

/** Works through the agent's requested actions: the session type must be one we can run; KMS makes a data key. */
export async function answerHandshake(request: HandshakeRequest, context: HandshakeContext): Promise<HandshakeAnswer> {
  const actions: ProcessedClientAction[] = [];
  let failure: SsmError | null = null;
  let dataKey: Uint8Array | null = null;
  for (const action of request.actions) {
    if (action.actionType === ActionType.SessionType) {
      const sessionType = action.parameters['SessionType'];
      const supported = typeof sessionType === 'string' && SUPPORTED_SESSION_TYPES.has(sessionType);
      actions.push({
        actionType: action.actionType,
        actionStatus: supported ? ActionStatus.Success : ActionStatus.Unsupported,
        actionResult: null,
        error: supported ? '' : `Unsupported session type ${String(sessionType)}`,
      });
      if (!supported) {
        failure = new SsmError('ssm.handshake.session_type', `unsupported session type ${String(sessionType)}`, {
          userMessage: `The container offered a session type this client cannot run (${String(sessionType)}).`,
        });
      }
    } else if (action.actionType === ActionType.KmsEncryption) {
      try {
        const { kmsKeyId, challenge } = toKmsEncryptionParameters(action);
        const encryptionContext: Record<string, string> = {
          'aws:ssm:SessionId': context.sessionId,
          'aws:ssm:TargetId': context.targetId,
        };
        const acknowledgeChallenge = context.kmsChallengeContext && challenge !== null;
        if (acknowledgeChallenge && challenge !== null) encryptionContext['aws:ssm:RandomChallenge'] = challenge;
        const key = await context.kms.generateDataKey({
          keyId: kmsKeyId,
          encryptionContext,
          numberOfBytes: DATA_KEY_BYTES,
        });
        if (key.plaintext.length !== DATA_KEY_BYTES) {
          throw new SsmError('ssm.crypto.data_key', `KMS returned a ${key.plaintext.length}-byte data key`);
        }
        dataKey = key.plaintext;
        actions.push({
          actionType: action.actionType,
          actionStatus: ActionStatus.Success,
          actionResult: kmsEncryptionResult(key.ciphertextBlob, acknowledgeChallenge),
          error: '',
        });
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        actions.push({
          actionType: action.actionType,
          actionStatus: ActionStatus.Failed,
          actionResult: null,
          error: text,
        });
        failure = new SsmError('ssm.kms.generate_data_key', `KMS GenerateDataKey failed: ${text}`, {
          cause: error,
          userMessage: `The session is KMS-encrypted and the data key could not be created: ${text}`,
        });
      }
    } else {
      actions.push({
        actionType: action.actionType,
        actionStatus: ActionStatus.Unsupported,
        actionResult: null,
        error: `Unsupported action ${action.actionType}`,
      });
    }
  }
  return { actions, failure, dataKey };
}

/** Decodes the agent's HandshakeRequest; an unreadable one is the channel's end. */
export function readHandshakeRequest(payload: Uint8Array): HandshakeRequest {
  try {
    return decodeHandshakeRequest(payload);
  } catch (error) {
    throw new SsmError('ssm.handshake.bad_request', `unreadable HandshakeRequest: ${String(error)}`, { cause: error });
  }
}

export function handshakeResponsePayload(answer: HandshakeAnswer, clientVersion: string): Uint8Array {
  return encodeHandshakeResponse({
    clientVersion,
    actions: answer.actions,
    errors: answer.failure ? [answer.failure.message] : [],
  });
}

/** The EncChallengeResponse payload: the agent's challenge decrypted and re-encrypted under the data key. */
export function challengeResponsePayload(dataKey: Uint8Array | null, requestPayload: Uint8Array): Uint8Array {
  if (!dataKey) {
    throw new SsmError('ssm.handshake.unexpected_challenge', 'encryption challenge without a KMS data key');
  }
  try {
    return encodeEncChallenge(answerEncryptionChallenge(dataKey, decodeEncChallenge(requestPayload)));
  } catch (error) {
    throw new SsmError('ssm.handshake.challenge', 'the encryption challenge could not be answered', {
      cause: error,
      userMessage: 'The KMS-encrypted session could not be set up: the encryption challenge failed.',
    });
  }
}

export interface ClientHandshakeOptions extends HandshakeContext {
  clientVersion: string;
  /** True once the channel closed: a late KMS answer then sends nothing. */
  isClosed(): boolean;
  /** Sends one of the client's sequenced messages. */
  sendStream(payloadType: number, payload: Uint8Array): void;
  logger?: Logger;
}

/** The client's half of the optional handshake, and the session cipher it leaves behind under KMS. */
export class ClientHandshake {
  private readonly options: ClientHandshakeOptions;
  private dataKey: Uint8Array | null = null;
  private cipherValue: SessionCipher | null = null;

  constructor(options: ClientHandshakeOptions) {
    this.options = options;
  }

  /** Null until a KMS handshake gave the session a data key. */
  get cipher(): SessionCipher | null {
    return this.cipherValue;
  }

  /** Answers a HandshakeRequest; rejects with the reason when an action failed (the response went out anyway). */
  async respond(request: HandshakeRequest): Promise<void> {
    const answer = await answerHandshake(request, this.options);
    if (this.options.isClosed()) return;
    this.options.sendStream(
      PayloadType.HandshakeResponse,
      handshakeResponsePayload(answer, this.options.clientVersion),
    );
    if (answer.failure) throw answer.failure;
    if (answer.dataKey) {
      this.dataKey = answer.dataKey;
      this.cipherValue = createSessionCipher(answer.dataKey, 'client');
    }
  }

  /** An output payload as the command wrote it; throws an SsmError when it cannot be decrypted. */
  decrypt(payload: Uint8Array): Uint8Array {
    if (!this.cipherValue) return payload;
    try {
      return this.cipherValue.decrypt(payload);
    } catch (error) {
      throw error instanceof SsmError ? error : new SsmError('ssm.crypto.decrypt', String(error));
    }
  }

  /** Answers an EncChallengeRequest; throws an SsmError when it cannot. */
  answerChallenge(requestPayload: Uint8Array): void {
    this.options.sendStream(PayloadType.EncChallengeResponse, challengeResponsePayload(this.dataKey, requestPayload));
  }

  logComplete(payload: Uint8Array): void {
    try {
      const complete = decodeHandshakeComplete(payload);
      this.options.logger?.info(
        { encrypted: this.cipherValue !== null, customerMessage: complete.customerMessage },
        'ssm: handshake complete',
      );
    } catch {
      // Informational only; the session is live either way.
    }
  }
}
