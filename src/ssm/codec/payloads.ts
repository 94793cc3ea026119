import { DecodeError } from './errors.js';
import { MessageType } from './layout.js';
import { isUuid } from './uuid.js';

/**
 * JSON payloads carried inside frames, plus the OpenDataChannel text frame. Encoders emit compact JSON with Go's field
 * order; decoders check the fields they rely on and throw DecodeError('payload_json') otherwise.
 */

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

type Json = Record<string, unknown>;

const ACK_TYPES = new Set<string>(Object.values(MessageType));

function parseObject(payload: Uint8Array, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(textDecoder.decode(payload));
  } catch {
    throw new DecodeError('payload_json', 0, `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DecodeError('payload_json', 0, `${what} is not a JSON object`);
  }
  return value as Json;
}

function stringField(obj: Json, key: string, what: string): string {
  const value = obj[key];
  if (typeof value !== 'string') throw new DecodeError('payload_json', 0, `${what}.${key} is not a string`);
  return value;
}

function optionalString(obj: Json, key: string, what: string): string {
  const value = obj[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new DecodeError('payload_json', 0, `${what}.${key} is not a string`);
  return value;
}

function integerField(obj: Json, key: string, what: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new DecodeError('payload_json', 0, `${what}.${key} is not an integer`);
  }
  return value;
}

function toBytes(value: unknown): Uint8Array {
  return textEncoder.encode(JSON.stringify(value));
}

// ---------------------------------------------------------------- acknowledge

/** Payload of an `acknowledge` frame; peers match it to their unacked buffer by sequence number only. */
export interface AcknowledgeContent {
  acknowledgedMessageType: string;
  acknowledgedMessageId: string;
  acknowledgedMessageSequenceNumber: number;
}

/** Encodes an AcknowledgeContent (IsSequentialMessage is always true). */
export function encodeAcknowledgeContent(ack: AcknowledgeContent): Uint8Array {
  const { acknowledgedMessageType: type, acknowledgedMessageId: id, acknowledgedMessageSequenceNumber: seq } = ack;
  // Built by hand on the hot path (one ack per output frame) when nothing can need escaping.
  if (ACK_TYPES.has(type) && id.length === 36 && isUuid(id) && Number.isSafeInteger(seq)) {
    return Buffer.from(
      `{"AcknowledgedMessageType":"${type}","AcknowledgedMessageId":"${id}",` +
        `"AcknowledgedMessageSequenceNumber":${seq},"IsSequentialMessage":true}`,
      'latin1',
    );
  }
  return toBytes({
    AcknowledgedMessageType: type,
    AcknowledgedMessageId: id,
    AcknowledgedMessageSequenceNumber: seq,
    IsSequentialMessage: true,
  });
}

/** @throws DecodeError when the payload is not an AcknowledgeContent. */
export function decodeAcknowledgeContent(payload: Uint8Array): AcknowledgeContent {
  const obj = parseObject(payload, 'AcknowledgeContent');
  return {
    acknowledgedMessageType: optionalString(obj, 'AcknowledgedMessageType', 'AcknowledgeContent'),
    acknowledgedMessageId: optionalString(obj, 'AcknowledgedMessageId', 'AcknowledgeContent'),
    acknowledgedMessageSequenceNumber: integerField(obj, 'AcknowledgedMessageSequenceNumber', 'AcknowledgeContent'),
  };
}

// ---------------------------------------------------------------- channel_closed

/** Payload of MGS's `channel_closed`; `output` is empty on a normal end and holds the reason otherwise. */
export interface ChannelClosed {
  messageId: string;
  createdDate: string;
  destinationId: string;
  sessionId: string;
  schemaVersion: number;
  output: string;
}

/** Encodes a ChannelClosed payload (what MGS sends; used by the emulator). */
export function encodeChannelClosed(closed: ChannelClosed): Uint8Array {
  return toBytes({
    MessageId: closed.messageId,
    CreatedDate: closed.createdDate,
    DestinationId: closed.destinationId,
    SessionId: closed.sessionId,
    MessageType: MessageType.ChannelClosed,
    SchemaVersion: closed.schemaVersion,
    Output: closed.output,
  });
}

/** Decodes a ChannelClosed payload; tolerant of missing fields, since only `Output` matters. An empty payload is a normal end. */
export function decodeChannelClosed(payload: Uint8Array): ChannelClosed {
  if (payload.length === 0) {
    return { messageId: '', createdDate: '', destinationId: '', sessionId: '', schemaVersion: 1, output: '' };
  }
  const obj = parseObject(payload, 'ChannelClosed');
  const schema = obj['SchemaVersion'];
  const created = obj['CreatedDate'];
  return {
    messageId: optionalString(obj, 'MessageId', 'ChannelClosed'),
    // Seen both as epoch-ms and as a date string; kept opaque.
    createdDate: typeof created === 'number' ? String(created) : optionalString(obj, 'CreatedDate', 'ChannelClosed'),
    destinationId: optionalString(obj, 'DestinationId', 'ChannelClosed'),
    sessionId: optionalString(obj, 'SessionId', 'ChannelClosed'),
    schemaVersion: typeof schema === 'number' ? schema : 1,
    output: optionalString(obj, 'Output', 'ChannelClosed'),
  };
}

// ---------------------------------------------------------------- size

/** Terminal size sent as an `input_stream_data` Size (PayloadType 3) message. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

/** Encodes `{"cols":C,"rows":R}`. */
export function encodeSize(size: TerminalSize): Uint8Array {
  return textEncoder.encode(`{"cols":${Math.trunc(size.cols)},"rows":${Math.trunc(size.rows)}}`);
}

/** @throws DecodeError when the payload is not a Size object. */
export function decodeSize(payload: Uint8Array): TerminalSize {
  const obj = parseObject(payload, 'Size');
  return { cols: integerField(obj, 'cols', 'Size'), rows: integerField(obj, 'rows', 'Size') };
}

// ---------------------------------------------------------------- handshake

/** ActionStatus values of a HandshakeResponse action. */
export const ActionStatus = { Success: 1, Failed: 2, Unsupported: 3 } as const;
export type ActionStatus = (typeof ActionStatus)[keyof typeof ActionStatus];

export const ActionType = { SessionType: 'SessionType', KmsEncryption: 'KMSEncryption' } as const;

/** One requested client action; `parameters` is the raw ActionParameters object. */
export interface RequestedClientAction {
  actionType: string;
  parameters: Json;
}

/** HandshakeRequest (agent → client, PayloadType 5). */
export interface HandshakeRequest {
  agentVersion: string;
  actions: RequestedClientAction[];
}

/** KMSEncryption action parameters. `challenge` is absent on older agents. */
export interface KmsEncryptionParameters {
  kmsKeyId: string;
  challenge: string | null;
}

/** Encodes a HandshakeRequest (used by the emulator). */
export function encodeHandshakeRequest(request: HandshakeRequest): Uint8Array {
  return toBytes({
    AgentVersion: request.agentVersion,
    RequestedClientActions: request.actions.map((action) => ({
      ActionType: action.actionType,
      ActionParameters: action.parameters,
    })),
  });
}

/** @throws DecodeError when the payload is not a HandshakeRequest. */
export function decodeHandshakeRequest(payload: Uint8Array): HandshakeRequest {
  const obj = parseObject(payload, 'HandshakeRequest');
  const actions = obj['RequestedClientActions'];
  if (actions !== null && actions !== undefined && !Array.isArray(actions)) {
    throw new DecodeError('payload_json', 0, 'HandshakeRequest.RequestedClientActions is not a list');
  }
  return {
    agentVersion: optionalString(obj, 'AgentVersion', 'HandshakeRequest'),
    actions: (actions ?? []).map((raw: unknown) => {
      if (typeof raw !== 'object' || raw === null) {
        throw new DecodeError('payload_json', 0, 'HandshakeRequest action is not an object');
      }
      const action = raw as Json;
      const parameters = action['ActionParameters'];
      return {
        actionType: stringField(action, 'ActionType', 'RequestedClientAction'),
        parameters: typeof parameters === 'object' && parameters !== null ? (parameters as Json) : {},
      };
    }),
  };
}

/** Reads the KMSEncryption action's parameters. @throws DecodeError when KMSKeyId is missing. */
export function toKmsEncryptionParameters(action: RequestedClientAction): KmsEncryptionParameters {
  const challenge = action.parameters['Challenge'];
  return {
    kmsKeyId: stringField(action.parameters, 'KMSKeyId', 'KMSEncryption'),
    challenge: typeof challenge === 'string' && challenge.length > 0 ? challenge : null,
  };
}

/** One processed client action of a HandshakeResponse. */
export interface ProcessedClientAction {
  actionType: string;
  actionStatus: ActionStatus;
  actionResult: unknown;
  error: string;
}

/** HandshakeResponse (client → agent, PayloadType 6). */
export interface HandshakeResponse {
  clientVersion: string;
  actions: ProcessedClientAction[];
  errors: string[];
}

/** Encodes a HandshakeResponse; an empty error list is sent as `null`, as Go does. */
export function encodeHandshakeResponse(response: HandshakeResponse): Uint8Array {
  return toBytes({
    ClientVersion: response.clientVersion,
    ProcessedClientActions: response.actions.map((action) => ({
      ActionType: action.actionType,
      ActionStatus: action.actionStatus,
      ActionResult: action.actionResult ?? null,
      Error: action.error,
    })),
    Errors: response.errors.length > 0 ? response.errors : null,
  });
}

/** @throws DecodeError when the payload is not a HandshakeResponse. */
export function decodeHandshakeResponse(payload: Uint8Array): HandshakeResponse {
  const obj = parseObject(payload, 'HandshakeResponse');
  const actions = obj['ProcessedClientActions'];
  const errors = obj['Errors'];
  if (actions !== null && actions !== undefined && !Array.isArray(actions)) {
    throw new DecodeError('payload_json', 0, 'HandshakeResponse.ProcessedClientActions is not a list');
  }
  return {
    clientVersion: optionalString(obj, 'ClientVersion', 'HandshakeResponse'),
    actions: (actions ?? []).map((raw: unknown) => {
      if (typeof raw !== 'object' || raw === null) {
        throw new DecodeError('payload_json', 0, 'HandshakeResponse action is not an object');
      }
      const action = raw as Json;
      return {
        actionType: stringField(action, 'ActionType', 'ProcessedClientAction'),
        actionStatus: integerField(action, 'ActionStatus', 'ProcessedClientAction') as ActionStatus,
        actionResult: action['ActionResult'] ?? null,
        error: optionalString(action, 'Error', 'ProcessedClientAction'),
      };
    }),
    errors: Array.isArray(errors) ? errors.filter((e): e is string => typeof e === 'string') : [],
  };
}

/** ActionResult of a successful KMSEncryption action. */
export interface KmsEncryptionResult {
  kmsCipherTextKey: string;
  challengeAcknowledgement?: boolean;
}

/** Builds the KMSEncryption ActionResult object. */
export function kmsEncryptionResult(ciphertextBlob: Uint8Array, challengeAcknowledged: boolean): Json {
  const result: Json = { KMSCipherTextKey: Buffer.from(ciphertextBlob).toString('base64'), KMSCipherTextHash: null };
  if (challengeAcknowledged) result['ChallengeAcknowledgement'] = true;
  return result;
}

/** Reads a KMSEncryption ActionResult. @throws DecodeError when KMSCipherTextKey is missing. */
export function toKmsEncryptionResult(actionResult: unknown): KmsEncryptionResult {
  if (typeof actionResult !== 'object' || actionResult === null) {
    throw new DecodeError('payload_json', 0, 'KMSEncryption ActionResult is not an object');
  }
  const obj = actionResult as Json;
  const result: KmsEncryptionResult = { kmsCipherTextKey: stringField(obj, 'KMSCipherTextKey', 'KMSEncryption') };
  if (obj['ChallengeAcknowledgement'] === true) result.challengeAcknowledgement = true;
  return result;
}

/** HandshakeComplete (agent → client, PayloadType 7). */
export interface HandshakeComplete {
  handshakeTimeToComplete: number;
  customerMessage: string;
}

/** Encodes a HandshakeComplete (used by the emulator). */
export function encodeHandshakeComplete(complete: HandshakeComplete): Uint8Array {
  return toBytes({
    HandshakeTimeToComplete: complete.handshakeTimeToComplete,
    CustomerMessage: complete.customerMessage,
  });
}

/** @throws DecodeError when the payload is not a HandshakeComplete. */
export function decodeHandshakeComplete(payload: Uint8Array): HandshakeComplete {
  const obj = parseObject(payload, 'HandshakeComplete');
  const time = obj['HandshakeTimeToComplete'];
  return {
    handshakeTimeToComplete: typeof time === 'number' ? time : 0,
    customerMessage: optionalString(obj, 'CustomerMessage', 'HandshakeComplete'),
  };
}

/** Encodes an EncChallengeRequest/Response payload (`{"Challenge":"<base64>"}`, PayloadType 8 or 9). */
export function encodeEncChallenge(challenge: Uint8Array): Uint8Array {
  return toBytes({ Challenge: Buffer.from(challenge).toString('base64') });
}

/** @throws DecodeError when the payload is not `{"Challenge":"<base64>"}`. */
export function decodeEncChallenge(payload: Uint8Array): Uint8Array {
  const obj = parseObject(payload, 'EncChallenge');
  const challenge = stringField(obj, 'Challenge', 'EncChallenge');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(challenge)) {
    throw new DecodeError('payload_json', 0, 'EncChallenge.Challenge is not base64');
  }
  return new Uint8Array(Buffer.from(challenge, 'base64'));
}

// ---------------------------------------------------------------- OpenDataChannel

/** The first (text) frame a client sends after connecting. */
export interface OpenDataChannel {
  requestId: string;
  tokenValue: string;
  clientId: string;
  clientVersion: string;
}

/** Encodes the OpenDataChannel text frame with Go's field order. */
export function encodeOpenDataChannel(open: OpenDataChannel): string {
  return JSON.stringify({
    MessageSchemaVersion: '1.0',
    RequestId: open.requestId,
    TokenValue: open.tokenValue,
    ClientId: open.clientId,
    ClientVersion: open.clientVersion,
  });
}

/** Decodes an OpenDataChannel text frame (used by the emulator). @throws DecodeError when fields are missing. */
export function decodeOpenDataChannel(text: string): OpenDataChannel {
  const obj = parseObject(textEncoder.encode(text), 'OpenDataChannel');
  return {
    requestId: stringField(obj, 'RequestId', 'OpenDataChannel'),
    tokenValue: stringField(obj, 'TokenValue', 'OpenDataChannel'),
    clientId: optionalString(obj, 'ClientId', 'OpenDataChannel'),
    clientVersion: optionalString(obj, 'ClientVersion', 'OpenDataChannel'),
  };
}

/** The ExitCode payload (NonInteractiveCommands only): ASCII `EXIT_CODE: <n>`; null when it says something else. */
export function decodeExitCode(payload: Uint8Array): number | null {
  const match = /EXIT_CODE:\s*(-?\d+)/.exec(new TextDecoder().decode(payload));
  return match?.[1] ? Number(match[1]) : null;
}
