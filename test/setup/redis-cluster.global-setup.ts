import type { TestProject } from 'vitest/node';
import { startRedisCluster } from './redis-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Seed node of a three-primary Redis Cluster on loopback. */
    redisClusterUrl: string;
  }
}

/** One cluster for the whole integration run; tests isolate themselves by key prefix, as on the single node. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env['REDIS_CLUSTER_URL'];
  if (fromEnv) {
    project.provide('redisClusterUrl', fromEnv);
    return async () => {};
  }
  const cluster = await startRedisCluster();
  project.provide('redisClusterUrl', cluster.url);
  return cluster.stop;
}
