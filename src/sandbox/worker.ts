import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AgentFaults } from './agent/agent-faults.js';
import type { SessionSnapshot } from './agent/session-snapshot.js';
import { SandboxStartError } from './errors.js';
import type { SandboxOptions } from './index.js';
import type { SandboxWorkerRequest } from './worker-entry.js';

/** A sandbox running on its own thread, so its agent does not share a core with the client under test. */
export interface SandboxWorker {
  readonly url: string;
  readonly port: number;
  readonly env: Record<string, string>;
  sessions(): Promise<SessionSnapshot[]>;
  forNextSession(faults: AgentFaults): Promise<void>;
  setDefaultFaults(faults: AgentFaults): Promise<void>;
  close(): Promise<void>;
}

type Request = SandboxWorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * Starts the sandbox in a worker thread (for throughput benchmarks on a 2-core machine). Options must be plain data;
 * the state and fault objects of {@link startSandbox} are reached through the returned methods instead.
 * @throws SandboxStartError when the worker cannot start the sandbox.
 */
export async function startSandboxWorker(options: SandboxOptions = {}): Promise<SandboxWorker> {
  // Built, the entry is plain .js. From source (tsx, vitest) the worker needs tsx's loader registered first, since
  // module hooks of the main thread do not reach worker threads on Node 20.
  const extension = extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./worker-entry${extension}`, import.meta.url);
  const worker =
    extension === '.ts'
      ? new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`,
          { eval: true, workerData: options },
        )
      : new Worker(entry, { workerData: options });
  const pending = new Map<number, (value: unknown) => void>();
  let nextId = 0;
  const ready = await new Promise<{ url: string; port: number; env: Record<string, string> }>((resolve, reject) => {
    worker.once('error', (error) =>
      reject(new SandboxStartError(`sandbox worker failed: ${error.message}`, { cause: error })),
    );
    worker.on('message', (message: { kind: string; id?: number; value?: unknown }) => {
      if (message.kind === 'ready')
        resolve(message as unknown as { url: string; port: number; env: Record<string, string> });
      else if (message.kind === 'reply' && message.id !== undefined) {
        pending.get(message.id)?.(message.value);
        pending.delete(message.id);
      }
    });
  });
  const call = async <T>(request: Request): Promise<T> => {
    nextId += 1;
    const id = nextId;
    const reply = new Promise<T>((resolve) => pending.set(id, resolve as (value: unknown) => void));
    worker.postMessage({ ...request, id });
    return await reply;
  };
  return {
    ...ready,
    sessions: async () => await call<SessionSnapshot[]>({ kind: 'sessions' }),
    forNextSession: async (faults) => await call<void>({ kind: 'next-session-faults', faults }),
    setDefaultFaults: async (faults) => await call<void>({ kind: 'default-faults', faults }),
    close: async () => {
      await call<void>({ kind: 'close' });
      await worker.terminate();
    },
  };
}
