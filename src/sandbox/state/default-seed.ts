import type { SandboxSeed } from './model.js';

/** Fixed task ids of the default seed, so docs and examples can name them. */
export const DEFAULT_TASK_IDS = {
  web: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  worker: '1b2c3d4e5f60718293a4b5c6d7e8f90a',
} as const;

/** The `demo` cluster with services `web` and `worker`, each with one RUNNING, exec-ready task whose container is `app`. */
export function defaultSeed(): SandboxSeed {
  return {
    clusters: [{ name: 'demo', executeCommandConfiguration: { logging: 'DEFAULT' } }],
    services: [
      { name: 'web', cluster: 'demo' },
      { name: 'worker', cluster: 'demo' },
    ],
    tasks: [
      { id: DEFAULT_TASK_IDS.web, cluster: 'demo', service: 'web', containers: [{ name: 'app' }] },
      { id: DEFAULT_TASK_IDS.worker, cluster: 'demo', service: 'worker', containers: [{ name: 'app' }] },
    ],
  };
}
