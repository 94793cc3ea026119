import type { JsonObject } from './types.js';

/** Form fields that Slack clients send as JSON text inside a form-encoded body. */
const JSON_FORM_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata', 'unfurls', 'payload']);

/** One part of a multipart/form-data body. */
export interface MultipartPart {
  name: string;
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

/**
 * Parses a Web API request body the way Slack accepts them: form-encoded (JSON-valued fields such as `blocks`
 * decoded) or JSON. Anything else yields no arguments.
 */
export function parseApiArgs(contentType: string | undefined, raw: Buffer): JsonObject {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json') {
    if (raw.length === 0) return {};
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    return isJsonObject(parsed) ? parsed : {};
  }
  if (type === 'multipart/form-data') {
    const args: JsonObject = {};
    for (const part of parseMultipart(contentType ?? '', raw)) {
      if (part.filename === undefined) args[part.name] = decodeFormValue(part.name, part.data.toString('utf8'));
    }
    return args;
  }
  return parseFormArgs(raw.toString('utf8'));
}

/** Decodes `a=1&blocks=%5B...%5D` into arguments, decoding the fields Slack clients JSON-encode. */
export function parseFormArgs(body: string): JsonObject {
  const args: JsonObject = {};
  for (const [key, value] of new URLSearchParams(body)) args[key] = decodeFormValue(key, value);
  return args;
}

function decodeFormValue(key: string, value: string): unknown {
  if (!JSON_FORM_FIELDS.has(key)) return value;
  const trimmed = value.trim();
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return value;
  try {
    return JSON.parse(trimmed);
  } catch {
    return value;
  }
}

/** Splits a multipart/form-data body into its parts (enough of RFC 7578 for what HTTP clients send). */
export function parseMultipart(contentType: string, body: Buffer): MultipartPart[] {
  const boundaryMatch = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = boundaryMatch?.[1] ?? boundaryMatch?.[2];
  if (!boundary) return [];
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let cursor = body.indexOf(delimiter);
  while (cursor !== -1) {
    const afterDelimiter = cursor + delimiter.length;
    // `--boundary--` closes the body.
    if (body[afterDelimiter] === 0x2d && body[afterDelimiter + 1] === 0x2d) break;
    const headerStart = afterDelimiter + 2;
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    if (headerEnd === -1) break;
    const next = body.indexOf(delimiter, headerEnd + 4);
    if (next === -1) break;
    // The CRLF before the next delimiter belongs to the delimiter, not to the data.
    const data = body.subarray(headerEnd + 4, next - 2);
    const headers = body.subarray(headerStart, headerEnd).toString('utf8');
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const partType = /content-type:\s*([^\r\n]*)/i.exec(headers)?.[1]?.trim();
    if (name !== undefined) parts.push({ name, filename, contentType: partType, data: Buffer.from(data) });
    cursor = next;
  }
  return parts;
}

/**
 * The bytes of an upload POST: Slack's upload URL takes the raw body, or a multipart form whose file part
 * carries the content (the Node SDK names that part `body`; curl users tend to use `file`).
 */
export function extractUploadBytes(contentType: string | undefined, body: Buffer): Buffer {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'multipart/form-data') return body;
  const parts = parseMultipart(contentType ?? '', body);
  const filePart = parts.find((part) => part.filename !== undefined) ?? parts.find((part) => part.name === 'file');
  return filePart?.data ?? Buffer.alloc(0);
}

/** Narrows an unknown to a plain JSON object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
