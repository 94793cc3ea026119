import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { runRaw } from './helpers.js';
import type { RawClientOptions, RawDataChannelClient } from './raw-data-channel-client.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
let sandbox: Sandbox;
let taskId: string;
const open: RawDataChannelClient[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      clusters: [{ name: 'secure', executeCommandConfiguration: { kmsKeyId: KEY_ARN, logging: 'DEFAULT' } }],
      services: [{ name: 'api', cluster: 'secure' }],
      tasks: [{ cluster: 'secure', service: 'api', containers: [{ name: 'app' }] }],
    },
  });
  taskId = sandbox.state.allTasks()[0]?.taskId ?? '';
});
afterAll(async () => {
  await sandbox.close();
});
afterEach(() => {
  for (const client of open.splice(0)) client.close();
  sandbox.faults.agent.clear();
});

async function run(command: string, client: RawClientOptions = {}) {
  const result = await runRaw(sandbox, command, { cluster: 'secure', task: taskId, kms: true, client });
  open.push(result.client);
  return result;
}

describe('KMS-encrypted session', () => {
  it('handshakes, proves the key with the challenge, and decrypts to the exact output', async () => {
    const { client, sessionId } = await run(`printf 'secret\\nünïcode\\n'`);
    expect(await client.closed()).toBe('');
    expect(client.text).toBe('secret\r\nünïcode\r\n');
    expect(client.customerMessage).toBe('This session is encrypted using AWS KMS.');
    expect(client.events.filter((e) => e.kind === 'handshake').map((e) => e.payloadType)).toEqual([5, 8, 7]);
    const decrypt = sandbox.calls.find((c) => c.byAgent && c.operation === 'Decrypt' && !c.error);
    expect(decrypt?.input['EncryptionContext']).toEqual({
      'aws:ssm:SessionId': sessionId,
      'aws:ssm:TargetId': sandbox.session(sessionId)?.targetId,
    });
    expect(sandbox.session(sessionId)?.kmsKeyId).toBe(KEY_ARN);
  });

  it('decrypts encrypted keystrokes from the client', async () => {
    const { client } = await run('cat');
    await new Promise((r) => setTimeout(r, 300));
    client.type('over kms\r');
    await client.waitForText('over kms\r\nover kms\r\n');
    client.type('\x04');
    expect(await client.closed()).toBe('');
  });

  it('accepts the random-challenge context when the client acknowledges it', async () => {
    sandbox.faults.agent.forNextSession({ requireChallengeAcknowledgement: true });
    const { client } = await run('echo ok', { challengeAcknowledgement: true });
    expect(await client.closed()).toBe('');
    expect(client.text).toBe('ok\r\n');
  });

  it('refuses a client that does not acknowledge the challenge when the agent requires it', async () => {
    sandbox.faults.agent.forNextSession({ requireChallengeAcknowledgement: true });
    const { client } = await run('echo ok');
    expect(await client.closed()).toMatch(/random challenge/);
    expect(client.text).toBe('');
  });

  it('fails the handshake when the data key was made for another target id', async () => {
    const { client } = await run('echo never', {
      encryptionContext: { 'aws:ssm:SessionId': 'x', 'aws:ssm:TargetId': 'ecs:other_task_runtime' },
    });
    expect(await client.closed()).toMatch(
      /^Handshake failed: KMS Decrypt of the data key failed: InvalidCiphertextException/,
    );
    expect(client.text).toBe('');
  });
});
