import { createHash } from 'node:crypto';
import { ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs';
import { expect, it } from 'vitest';
import { DEFAULT_TASK_IDS, SANDBOX_CREDENTIALS, syntheticOutputSha256 } from '../../../src/sandbox/index.js';
import { startSandboxWorker } from '../../../src/sandbox/worker.js';
import { RawDataChannelClient } from './raw-data-channel-client.js';

it('runs the sandbox on a worker thread: API and data channel answer, synthetic output arrives intact', async () => {
  const sandbox = await startSandboxWorker({ agentFaults: { syntheticOutputBytes: 300_000 } });
  const client = new RawDataChannelClient();
  try {
    const ecs = new ECSClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: { ...SANDBOX_CREDENTIALS } });
    const started = await ecs.send(
      new ExecuteCommandCommand({ cluster: 'demo', task: DEFAULT_TASK_IDS.web, command: 'x', interactive: true }),
    );
    await client.connect(started.session?.streamUrl ?? '', started.session?.tokenValue ?? '');
    expect(await client.closed()).toBe('');
    expect(createHash('sha256').update(client.bytes).digest('hex')).toBe(syntheticOutputSha256(300_000));
    const sessions = await sandbox.sessions();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ status: 'closed', outputBytes: 300_000 });
    await sandbox.forNextSession({ syntheticOutputBytes: 10 });
    const second = await ecs.send(
      new ExecuteCommandCommand({ cluster: 'demo', task: DEFAULT_TASK_IDS.web, command: 'x', interactive: true }),
    );
    const small = new RawDataChannelClient();
    await small.connect(second.session?.streamUrl ?? '', second.session?.tokenValue ?? '');
    await small.closed();
    small.close();
    expect(small.bytes).toHaveLength(10);
  } finally {
    client.close();
    await sandbox.close();
  }
});
