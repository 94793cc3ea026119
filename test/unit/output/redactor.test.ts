import { describe, expect, it } from 'vitest';
import { redactText, StreamingRedactor } from '../../../src/output/redactor.js';
import { MAX_SECRET_MATCH_CHARS, redactionMarker } from '../../../src/output/secret-rules.js';
import { PLANTED_SECRETS, TASK_CREDENTIAL_SECRETS, TASK_CREDENTIALS_JSON } from './secret-fixtures.js';

describe('redactText', () => {
  it.each(PLANTED_SECRETS)('redacts a $name', ({ line, secret, kind }) => {
    const result = redactText(`before\n${line}\nafter\n`);
    expect(result.text).not.toContain(secret);
    expect(result.text).toContain(redactionMarker(kind));
    expect(result.text.startsWith('before\n')).toBe(true);
    expect(result.text.endsWith('\nafter\n')).toBe(true);
    expect(result.count).toBe(1);
  });

  it('keeps the label of a labelled secret so the reader sees what was there', () => {
    expect(redactText('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY').text).toBe(
      'aws_secret_access_key = [REDACTED aws-secret-access-key]',
    );
  });

  it('redacts every credential in the task metadata JSON, counting each once', () => {
    const result = redactText(TASK_CREDENTIALS_JSON);
    for (const secret of TASK_CREDENTIAL_SECRETS) expect(result.text).not.toContain(secret);
    expect(result.text).toContain('"RoleArn":"arn:aws:iam::111122223333:role/app-task-role"');
    expect(result.text).toContain('"Expiration":"2026-11-28T06:00:00Z"');
    expect(result.count).toBe(3);
  });

  it('redacts pretty-printed credential JSON spread over lines', () => {
    const pretty = JSON.stringify(JSON.parse(TASK_CREDENTIALS_JSON), null, 2);
    const result = redactText(pretty);
    for (const secret of TASK_CREDENTIAL_SECRETS) expect(result.text).not.toContain(secret);
  });

  it('redacts a private key whose END line never came', () => {
    const result = redactText('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nMIIEvQIBADANBgkq');
    expect(result.text).not.toContain('MIIEvQ');
  });

  it.each([
    ['an access key id', 'key AKIAIOSFODN', 'IOSFODN'],
    ['a labelled secret key', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7', 'wJalrXUtnFEMI'],
    ['a Slack token', `${'xox'}b-12345-abcdefgh`, 'abcdefgh'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIi', 'eyJzdWIi'],
  ])('redacts %s cut off at the very end of the output', (_name, text, fragment) => {
    expect(redactText(text).text).not.toContain(fragment);
  });

  it.each([
    ['ordinary log line', '2026-11-28T00:00:00Z INFO GET /items/42 200 3ms'],
    ['a word containing ASIA', 'EURASIAN markets opened'],
    ['a key name without a value', 'set aws_secret_access_key in ~/.aws/credentials'],
    ['a git sha', 'commit 3f9a2c1d7e8b4a5f6c0d1e2f3a4b5c6d7e8f9a0b'],
  ])('leaves %s alone', (_name, text) => {
    expect(redactText(text)).toEqual({ text, count: 0, kinds: [] });
  });
});

describe('StreamingRedactor', () => {
  const filler = (chars: number) => `${'.'.repeat(99)}\n`.repeat(Math.ceil(chars / 100)).slice(0, chars);

  it.each(PLANTED_SECRETS)('redacts a $name split at every point across two pushes', ({ line, secret }) => {
    for (let split = 1; split < line.length; split++) {
      const redactor = new StreamingRedactor({ batchChars: 1 });
      const out = redactor.push(line.slice(0, split)) + redactor.push(line.slice(split)) + redactor.end();
      expect(out, `split at ${split}`).not.toContain(secret);
      expect(redactor.redactions).toBe(1);
    }
  });

  it.each(PLANTED_SECRETS)('redacts a $name lying across the carry-over cut', ({ line, secret }) => {
    // The redactor would release all but the last `carry` characters; put that cut at every point of the secret.
    const carry = MAX_SECRET_MATCH_CHARS + 1;
    const before = filler(1000);
    for (let intoSecret = 1; intoSecret < line.length; intoSecret += 2) {
      const redactor = new StreamingRedactor({ carryOverChars: carry, batchChars: 10 });
      const after = filler(carry - (line.length - intoSecret));
      const first = redactor.push(before + line + after);
      expect(first.length, 'released something before the secret').toBeGreaterThan(0);
      const out = first + redactor.push(filler(carry)) + redactor.end();
      expect(out, `cut ${intoSecret} characters into the secret`).not.toContain(secret);
      expect(redactor.redactions).toBe(1);
    }
  });

  it('releases text once enough has arrived behind it, keeping memory bounded', () => {
    const redactor = new StreamingRedactor({ batchChars: 1000 });
    let released = 0;
    for (let i = 0; i < 100; i++) released += redactor.push(filler(1000)).length;
    expect(released).toBeGreaterThan(100_000 - 2 * (1000 + MAX_SECRET_MATCH_CHARS + 1));
    expect(released + redactor.end().length).toBe(100_000);
  });

  it('never releases half of an emoji, wherever the carry-over cut falls', () => {
    const carry = MAX_SECRET_MATCH_CHARS + 1;
    for (let shift = 0; shift < 4; shift++) {
      const redactor = new StreamingRedactor({ carryOverChars: carry, batchChars: 10 });
      const text = `${'a'.repeat(1000 + shift)}${'😀'.repeat(carry)}`;
      const first = redactor.push(text);
      expect(first.length).toBeGreaterThan(0);
      expect(first.charCodeAt(first.length - 1) >= 0xd800 && first.charCodeAt(first.length - 1) <= 0xdbff).toBe(false);
      expect(first + redactor.end()).toBe(text);
    }
  });

  it('reports how much redaction changed the size of the text', () => {
    const redactor = new StreamingRedactor({ batchChars: 1 });
    const input = PLANTED_SECRETS.map((s) => `${s.line}\n`).join('') + TASK_CREDENTIALS_JSON;
    const out = redactor.push(input) + redactor.end();
    expect(redactor.sizeChange.bytes).toBe(Buffer.byteLength(out) - Buffer.byteLength(input));
    expect(redactor.sizeChange.newlines).toBe(out.split('\n').length - input.split('\n').length);
    expect(redactor.sizeChange.newlines).toBeLessThan(0);
  });

  it('peek shows the held text redacted without releasing or counting it', () => {
    const redactor = new StreamingRedactor();
    redactor.push('key AKIAIOSFODNN7EXAMPLE\n');
    expect(redactor.peek('AWS_SECRET_ACCESS_KEY=wJalrXU')).toBe(
      'key [REDACTED aws-access-key-id]\nAWS_SECRET_ACCESS_KEY=[REDACTED secret]',
    );
    expect(redactor.redactions).toBe(0);
    expect(redactor.end()).toBe('key [REDACTED aws-access-key-id]\n');
    expect(redactor.redactions).toBe(1);
    expect(redactor.redactionsByKind['aws-access-key-id']).toBe(1);
  });
});
