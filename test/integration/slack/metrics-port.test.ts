import { afterEach, expect, it } from 'vitest';
import { LocalStack } from '../../../src/playground/local-stack.js';

const CONFIG = `
clusters:
  demo: { cluster: demo, region: us-east-1 }
groups:
  devs: { users: [U0ALICE] }
rules:
  - name: web-open
    effect: allow
    who: [devs]
    targets: ["demo/web"]
    commands: ["**"]
`;

let stack: LocalStack | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

it('serves /metrics only on METRICS_PORT when it is set, and the probes stay on PORT', async () => {
  stack = await LocalStack.start({ configYaml: CONFIG, metricsPort: 0 });
  const { url, metricsUrl } = stack.bot;
  expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const scraped = await fetch(metricsUrl as string);
  expect(scraped.status).toBe(200);
  expect(await scraped.text()).toContain('ecs_exec_slack_requests_refused_total');
  expect((await fetch(`${url}/metrics`)).status).toBe(404);
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  // The metrics port serves nothing else: no Slack endpoint, no probes.
  expect((await fetch(new URL('/healthz', metricsUrl))).status).toBe(404);
  expect((await fetch(new URL('/slack/events', metricsUrl), { method: 'POST' })).status).toBe(404);
});
