import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../shared/logger.js';

/** A readiness probe: resolves when a dependency answers; its rejection message is shown on /readyz. */
export type ReadinessCheck = { name: string; check: () => Promise<void> };

export interface BotHttpServerOptions {
  host?: string;
  port: number;
  /** `/slack/events` in HTTP mode; absent in Socket Mode, where the same server only serves probes and metrics. */
  handleSlackRequest?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  /** `/healthz` and `/readyz`; absent on a server that only serves metrics. */
  readiness?: ReadinessCheck[];
  /** `/metrics`; absent when metrics are served on a port of their own (METRICS_PORT). */
  metrics?: Registry;
  logger: Logger;
  /** Extra routes (the playground's page and API) checked before the 404. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface BotHttpServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

const READINESS_TIMEOUT_MS = 2_000;

async function runReadiness(checks: ReadinessCheck[]): Promise<{ ok: boolean; checks: Record<string, string> }> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('no answer within 2 s')), READINESS_TIMEOUT_MS);
          }),
        ]);
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ok: results.every(([, status]) => status === 'ok'), checks: Object.fromEntries(results) };
}

/**
 * One HTTP server for Slack's requests, the liveness and readiness probes and Prometheus metrics. `/healthz` only
 * says the process serves requests (a restart would not help anything else); `/readyz` checks Redis and Slack so
 * a load balancer stops sending clicks to a replica that cannot act on them.
 */
export async function startBotHttpServer(options: BotHttpServerOptions): Promise<BotHttpServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/slack/events' && req.method === 'POST' && options.handleSlackRequest) {
      options.handleSlackRequest(req, res);
      return;
    }
    const { readiness, metrics } = options;
    if (readiness && path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
      return;
    }
    if (readiness && path === '/readyz' && (req.method === 'GET' || req.method === 'HEAD')) {
      void runReadiness(readiness).then((result) => {
        res.writeHead(result.ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(result)}\n`);
      });
      return;
    }
    if (metrics && path === '/metrics' && req.method === 'GET') {
      void metrics.metrics().then(
        (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body),
        (error: unknown) => {
          options.logger.error({ err: error }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    if (options.extraRoutes?.(req, res)) return;
    req.resume();
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  // Slack keeps connections alive between requests; a long idle timeout avoids resets under a load balancer.
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    server,
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
