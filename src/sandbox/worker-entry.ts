import { parentPort, workerData } from 'node:worker_threads';
import type { AgentFaults } from './agent/agent-faults.js';
import { type SandboxOptions, startSandbox } from './index.js';

/** Messages the owning thread sends to a sandbox worker. */
export type SandboxWorkerRequest =
  | { id: number; kind: 'sessions' }
  | { id: number; kind: 'next-session-faults'; faults: AgentFaults }
  | { id: number; kind: 'default-faults'; faults: AgentFaults }
  | { id: number; kind: 'close' };

const port = parentPort;
if (port) {
  const sandbox = await startSandbox(workerData as SandboxOptions);
  port.postMessage({ kind: 'ready', url: sandbox.url, port: sandbox.port, env: sandbox.env });
  port.on('message', async (request: SandboxWorkerRequest) => {
    switch (request.kind) {
      case 'sessions':
        port.postMessage({ kind: 'reply', id: request.id, value: sandbox.sessions });
        return;
      case 'next-session-faults':
        sandbox.faults.agent.forNextSession(request.faults);
        break;
      case 'default-faults':
        sandbox.faults.agent.defaults = { ...request.faults };
        break;
      case 'close':
        await sandbox.close();
        port.postMessage({ kind: 'reply', id: request.id, value: null });
        port.close();
        return;
    }
    port.postMessage({ kind: 'reply', id: request.id, value: null });
  });
}
