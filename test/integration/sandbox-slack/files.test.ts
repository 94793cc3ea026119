import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, type StandInChange, startSlackStandIn } from '../../../src/sandbox/slack/index.js';

let standIn: SlackStandIn;
let client: WebClient;

beforeEach(async () => {
  standIn = await startSlackStandIn({ channels: [{ id: 'C1OPS', name: 'ops' }] });
  client = new WebClient(standIn.botToken, { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR });
});

afterEach(async () => {
  await standIn.close();
});

describe('file uploads', () => {
  it('runs files.uploadV2 end to end and shares the file in the thread', async () => {
    const changes: StandInChange[] = [];
    standIn.on('change', (change) => changes.push(change));
    const parent = await client.chat.postMessage({ channel: 'C1OPS', text: 'ls -la' });
    const output = `total 8\n${'drwxr-xr-x 2 app app 4096 .\n'.repeat(200)}é✓\n`;

    const result = await client.filesUploadV2({
      channel_id: 'C1OPS',
      thread_ts: parent.ts as string,
      filename: 'output.txt',
      title: 'Full output',
      content: output,
      initial_comment: 'Full output attached',
    });

    expect(result.ok).toBe(true);
    expect(standIn.callsTo('files.getUploadURLExternal')[0]?.args).toMatchObject({
      filename: 'output.txt',
      length: String(Buffer.byteLength(output)),
    });
    expect(standIn.callsTo('upload')[0]?.response.status).toBe(200);
    const replies = standIn.threadReplies('C1OPS', parent.ts as string);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.text).toBe('Full output attached');
    const file = replies[0]?.files?.[0];
    expect(file).toMatchObject({ name: 'output.txt', title: 'Full output', size: Buffer.byteLength(output) });
    expect(file?.content.toString('utf8')).toBe(output);
    expect(changes.map((change) => change.kind)).toEqual(['message_posted', 'file_shared', 'message_posted']);

    const download = await fetch(file?.url as string);
    expect(download.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await download.text()).toBe(output);
  });

  it('takes a raw-body upload, as curl --data-binary sends it', async () => {
    const { upload_url, file_id } = await client.files.getUploadURLExternal({ filename: 'dump.log', length: 5 });
    expect(upload_url?.startsWith(`${standIn.url}/upload/v1/`)).toBe(true);
    const uploaded = await fetch(upload_url as string, { method: 'POST', body: 'hello' });
    expect(uploaded.status).toBe(200);
    expect(await uploaded.text()).toBe('OK - 5');

    const again = await fetch(upload_url as string, { method: 'POST', body: 'twice' });
    expect(again.status).toBe(404);

    const completed = await client.files.completeUploadExternal({
      files: [{ id: file_id as string, title: 'dump' }],
      channel_id: 'C1OPS',
    });
    expect(completed.files?.[0]).toMatchObject({ id: file_id, title: 'dump', name: 'dump.log', size: 5 });
    expect(standIn.messages('C1OPS')[0]?.files?.[0]?.content.toString()).toBe('hello');
  });

  it('makes the client wait and retry an upload answered with 429 and Retry-After', async () => {
    standIn.injectFault({ method: 'upload', kind: 'rate_limited', retryAfterSeconds: 1 });
    const started = Date.now();
    await client.filesUploadV2({ channel_id: 'C1OPS', filename: 'out.txt', content: 'bytes' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(standIn.callsTo('upload').map((call) => call.response.status)).toEqual([429, 200]);
    expect(standIn.messages('C1OPS')[0]?.files?.[0]?.content.toString()).toBe('bytes');
  });

  it('refuses to complete a file whose bytes never arrived', async () => {
    const { file_id } = await client.files.getUploadURLExternal({ filename: 'never.txt', length: 5 });
    const error = await client.files
      .completeUploadExternal({ files: [{ id: file_id as string }], channel_id: 'C1OPS' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'file_not_found' } });
    expect(standIn.messages('C1OPS')).toHaveLength(0);
  });

  it('refuses snippets above 1 MB and a missing length', async () => {
    const tooLarge = await client.files
      .getUploadURLExternal({ filename: 'big.txt', length: 1_000_001, snippet_type: 'text' })
      .catch((caught: unknown) => caught);
    expect(tooLarge).toMatchObject({ data: { error: 'snippet_too_large' } });
    const noLength = await client
      .apiCall('files.getUploadURLExternal', { filename: 'x.txt' })
      .catch((caught: unknown) => caught);
    expect(noLength).toMatchObject({ data: { error: 'invalid_arguments' } });
  });
});
