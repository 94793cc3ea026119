import { BotError, type ErrorCode } from '../../errors.js';

/** Header or payload field a frame failed on; becomes the error code `ssm.decode.<field>`. */
export type DecodeField =
  | 'frame_length'
  | 'header_length'
  | 'message_type'
  | 'created_date'
  | 'sequence_number'
  | 'flags'
  | 'payload_length'
  | 'payload_size'
  | 'payload_digest'
  | 'payload_json';

/** A received frame (or one of its JSON payloads) that breaks the wire format; the frame must be dropped. */
export class DecodeError extends BotError {
  readonly code: ErrorCode;
  /** Which check failed. */
  readonly field: DecodeField;
  /** Byte offset in the frame of the field that failed (for JSON payloads, the payload offset). */
  readonly offset: number;

  constructor(field: DecodeField, offset: number, message: string) {
    super(`SSM frame rejected (${field} at byte ${offset}): ${message}`, {
      userMessage: 'The session sent data that could not be understood.',
    });
    this.field = field;
    this.offset = offset;
    this.code = `ssm.decode.${field}`;
  }
}

/** A message we were asked to send cannot be put on the wire (a programming error, not a peer fault). */
export class EncodeError extends BotError {
  readonly code: ErrorCode;
  readonly field: string;

  constructor(field: string, message: string) {
    super(`SSM frame cannot be encoded (${field}): ${message}`);
    this.field = field;
    this.code = `ssm.encode.${field}`;
  }
}
