import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/output/redacting-logger.js';
import type { LiveTail } from '../../../src/slack/live-tail-updater.js';
import { type SlackNotifier, SlackPostUnconfirmedError } from '../../../src/slack/slack-port.js';
import { deliverInThread, type ThreadDelivery } from '../../../src/slack/thread-delivery.js';

/** A notifier that records thread writes; `post` decides how a post ends. */
function threadNotifier(post: () => Promise<{ ts: string }> = async () => ({ ts: '2.000001' })) {
  const writes: string[] = [];
  const notifier = {
    async postMessage(_channel, message) {
      writes.push(`post ${message.text}`);
      return await post();
    },
    async uploadFile(input) {
      writes.push(`upload ${input.filename} in ${input.threadTs}`);
    },
  } as Pick<SlackNotifier, 'postMessage' | 'uploadFile'> as SlackNotifier;
  return { writes, notifier };
}

/** A live tail that was posted (or not) and whose final update lands (or not). */
function stubTail(posted: boolean, lands = true): LiveTail & { finals: string[] } {
  const finals: string[] = [];
  return {
    finals,
    start() {},
    changed() {},
    posted: () => posted,
    async finish(summary) {
      finals.push(summary.text);
      return lands;
    },
  };
}

function logged() {
  const lines: string[] = [];
  const logger = createLogger({
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  return { lines, logger };
}

const delivery = (file?: ThreadDelivery['file']): ThreadDelivery => ({
  channel: 'C1',
  threadTs: '1.000000',
  requestId: 'r-1',
  message: { text: 'r-1: exit 0' },
  ...(file ? { file } : {}),
  logs: { notPosted: 'result not posted', notUploaded: 'file not uploaded' },
});
const file = () => ({ filename: 'out.txt', title: 'Output', content: new Uint8Array([111, 107]) });

describe('deliverInThread', () => {
  it('puts the result into the live tail when one was posted, then uploads the file in the thread', async () => {
    const { writes, notifier } = threadNotifier();
    const tail = stubTail(true);
    const outcome = await deliverInThread({ notifier, logger: logged().logger }, tail, delivery(file));
    expect(outcome).toBe('delivered');
    expect(tail.finals).toEqual(['r-1: exit 0']);
    expect(writes).toEqual(['upload out.txt in 1.000000']);
  });

  it('posts the result in the thread when there is no live tail, or its final update did not land', async () => {
    for (const tail of [stubTail(false), stubTail(true, false)]) {
      const { writes, notifier } = threadNotifier();
      expect(await deliverInThread({ notifier, logger: logged().logger }, tail, delivery(file))).toBe('delivered');
      expect(writes).toEqual(['post r-1: exit 0', 'upload out.txt in 1.000000']);
    }
  });

  it('says unconfirmed for a post whose answer was lost, failed otherwise, and uploads no file without its result', async () => {
    const cases = [
      { error: new SlackPostUnconfirmedError('chat.postMessage'), outcome: 'unconfirmed' },
      { error: new Error('channel_not_found'), outcome: 'failed' },
    ];
    for (const { error, outcome } of cases) {
      const { writes, notifier } = threadNotifier(() => Promise.reject(error));
      const { lines, logger } = logged();
      let built = 0;
      const counted = () => {
        built += 1;
        return file();
      };
      expect(await deliverInThread({ notifier, logger }, stubTail(false), delivery(counted))).toBe(outcome);
      expect(writes).toEqual(['post r-1: exit 0']);
      expect(built).toBe(0);
      expect(lines.join('')).toContain('result not posted');
    }
  });

  it('counts the result as delivered when only the upload fails, and logs it', async () => {
    const { notifier } = threadNotifier();
    notifier.uploadFile = () => Promise.reject(new Error('file_upload_failed'));
    const { lines, logger } = logged();
    expect(await deliverInThread({ notifier, logger }, stubTail(true), delivery(file))).toBe('delivered');
    expect(lines.join('')).toContain('file not uploaded');
  });

  it('uploads nothing when there is no file for the result', async () => {
    const { writes, notifier } = threadNotifier();
    expect(
      await deliverInThread(
        { notifier, logger: logged().logger },
        stubTail(true),
        delivery(() => undefined),
      ),
    ).toBe('delivered');
    expect(writes).toEqual([]);
  });
});
