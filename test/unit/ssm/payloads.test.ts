import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/ssm/codec/errors.js';
import {
  ActionStatus,
  decodeAcknowledgeContent,
  decodeChannelClosed,
  decodeEncChallenge,
  decodeHandshakeComplete,
  decodeHandshakeRequest,
  decodeHandshakeResponse,
  decodeOpenDataChannel,
  decodeSize,
  encodeAcknowledgeContent,
  encodeChannelClosed,
  encodeEncChallenge,
  encodeHandshakeComplete,
  encodeHandshakeRequest,
  encodeHandshakeResponse,
  encodeOpenDataChannel,
  encodeSize,
  kmsEncryptionResult,
  toKmsEncryptionParameters,
  toKmsEncryptionResult,
} from '../../../src/ssm/codec/payloads.js';
import { ACK_PAYLOAD } from '../../fixtures/ssm/vectors.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (value: string) => new TextEncoder().encode(value);

describe('acknowledge content', () => {
  it('encodes exactly the reference 176-byte JSON', () => {
    const encoded = encodeAcknowledgeContent({
      acknowledgedMessageType: 'output_stream_data',
      acknowledgedMessageId: 'dd01e56b-ff48-483e-a508-b5f073f31b16',
      acknowledgedMessageSequenceNumber: 0,
    });
    expect(text(encoded)).toBe(ACK_PAYLOAD);
    expect(encoded.length).toBe(176);
  });

  it('escapes odd values instead of producing broken JSON', () => {
    const encoded = encodeAcknowledgeContent({
      acknowledgedMessageType: 'a"b',
      acknowledgedMessageId: 'x',
      acknowledgedMessageSequenceNumber: 3,
    });
    expect(decodeAcknowledgeContent(encoded).acknowledgedMessageType).toBe('a"b');
  });

  it('decodes and rejects a missing sequence number', () => {
    expect(decodeAcknowledgeContent(bytes(ACK_PAYLOAD)).acknowledgedMessageSequenceNumber).toBe(0);
    expect(() => decodeAcknowledgeContent(bytes('{"AcknowledgedMessageType":"x"}'))).toThrow(DecodeError);
    expect(() => decodeAcknowledgeContent(bytes('not json'))).toThrow(DecodeError);
    expect(() => decodeAcknowledgeContent(bytes('[1]'))).toThrow(DecodeError);
  });
});

describe('channel_closed', () => {
  it('round-trips and exposes Output as the reason', () => {
    const closed = {
      messageId: 'm',
      createdDate: '2018-01-01',
      destinationId: 'd',
      sessionId: 'ecs-execute-command-1',
      schemaVersion: 1,
      output: 'Your session timed out due to inactivity and has been terminated.',
    };
    expect(decodeChannelClosed(encodeChannelClosed(closed))).toEqual(closed);
  });

  it('tolerates a numeric CreatedDate, missing fields and an empty payload', () => {
    expect(decodeChannelClosed(bytes('{"CreatedDate":1503434274948}'))).toMatchObject({
      createdDate: '1503434274948',
      output: '',
    });
    expect(decodeChannelClosed(new Uint8Array(0)).output).toBe('');
  });
});

describe('size', () => {
  it('encodes the reference form and decodes it', () => {
    expect(text(encodeSize({ cols: 80, rows: 24 }))).toBe('{"cols":80,"rows":24}');
    expect(decodeSize(bytes('{"cols":200,"rows":50}'))).toEqual({ cols: 200, rows: 50 });
    expect(() => decodeSize(bytes('{"cols":"80"}'))).toThrow(DecodeError);
  });
});

describe('handshake', () => {
  const requestJson =
    '{"AgentVersion":"3.3.987.0","RequestedClientActions":[' +
    '{"ActionType":"SessionType","ActionParameters":{"SessionType":"InteractiveCommands","Properties":null}},' +
    '{"ActionType":"KMSEncryption","ActionParameters":{"KMSKeyId":"arn:aws:kms:eu-west-1:1:key/k","Challenge":"AAEC"}}]}';

  it('decodes a HandshakeRequest with both actions', () => {
    const request = decodeHandshakeRequest(bytes(requestJson));
    expect(request.agentVersion).toBe('3.3.987.0');
    expect(request.actions.map((a) => a.actionType)).toEqual(['SessionType', 'KMSEncryption']);
    const kms = request.actions[1];
    expect(kms && toKmsEncryptionParameters(kms)).toEqual({
      kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/k',
      challenge: 'AAEC',
    });
    expect(text(encodeHandshakeRequest(request))).toBe(requestJson);
  });

  it('treats an older agent without Challenge as challenge null', () => {
    expect(toKmsEncryptionParameters({ actionType: 'KMSEncryption', parameters: { KMSKeyId: 'k' } }).challenge).toBe(
      null,
    );
  });

  it('encodes a HandshakeResponse like the Go client (Errors null when empty)', () => {
    const encoded = encodeHandshakeResponse({
      clientVersion: '1.2.650.0',
      actions: [
        { actionType: 'SessionType', actionStatus: ActionStatus.Success, actionResult: null, error: '' },
        {
          actionType: 'KMSEncryption',
          actionStatus: ActionStatus.Success,
          actionResult: kmsEncryptionResult(Uint8Array.from([1, 2, 3]), false),
          error: '',
        },
      ],
      errors: [],
    });
    expect(text(encoded)).toBe(
      '{"ClientVersion":"1.2.650.0","ProcessedClientActions":[' +
        '{"ActionType":"SessionType","ActionStatus":1,"ActionResult":null,"Error":""},' +
        '{"ActionType":"KMSEncryption","ActionStatus":1,"ActionResult":{"KMSCipherTextKey":"AQID","KMSCipherTextHash":null},"Error":""}],' +
        '"Errors":null}',
    );
    const decoded = decodeHandshakeResponse(encoded);
    expect(decoded.actions[1]?.actionStatus).toBe(1);
    expect(toKmsEncryptionResult(decoded.actions[1]?.actionResult)).toEqual({ kmsCipherTextKey: 'AQID' });
  });

  it('carries ChallengeAcknowledgement when asked', () => {
    expect(toKmsEncryptionResult(kmsEncryptionResult(new Uint8Array([9]), true))).toEqual({
      kmsCipherTextKey: 'CQ==',
      challengeAcknowledgement: true,
    });
  });

  it('round-trips HandshakeComplete and EncChallenge', () => {
    expect(
      decodeHandshakeComplete(encodeHandshakeComplete({ handshakeTimeToComplete: 12, customerMessage: 'hi' })),
    ).toEqual({ handshakeTimeToComplete: 12, customerMessage: 'hi' });
    const challenge = Uint8Array.from({ length: 92 }, (_, i) => i);
    const encoded = encodeEncChallenge(challenge);
    expect(JSON.parse(text(encoded)).Challenge).toHaveLength(124);
    expect(decodeEncChallenge(encoded)).toEqual(challenge);
    expect(() => decodeEncChallenge(bytes('{"Challenge":"%%%"}'))).toThrow(DecodeError);
  });
});

describe('OpenDataChannel', () => {
  it('has the exact field names and order', () => {
    const frame = encodeOpenDataChannel({ requestId: 'r', tokenValue: 't', clientId: 'c', clientVersion: '1.2.650.0' });
    expect(frame).toBe(
      '{"MessageSchemaVersion":"1.0","RequestId":"r","TokenValue":"t","ClientId":"c","ClientVersion":"1.2.650.0"}',
    );
    expect(decodeOpenDataChannel(frame)).toEqual({
      requestId: 'r',
      tokenValue: 't',
      clientId: 'c',
      clientVersion: '1.2.650.0',
    });
    expect(() => decodeOpenDataChannel('{"RequestId":"r"}')).toThrow(DecodeError);
  });
});
