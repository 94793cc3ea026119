import { describe, expect, it } from 'vitest';
import { assertStreamUrlAllowed } from '../../../src/ssm/stream-url.js';

describe('assertStreamUrlAllowed', () => {
  it.each([
    'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ecs-execute-command-1?role=publish_subscribe&cell-number=AAE',
    'ws://127.0.0.1:4000/v1/data-channel/x',
    'ws://127.255.3.9/x',
    'ws://localhost:80/x',
    'ws://LOCALHOST/x',
    'ws://[::1]:9000/x',
  ])('accepts %s', (url) => {
    expect(assertStreamUrlAllowed(url).href).toBe(new URL(url).href);
  });

  it.each([
    ['ws://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/x', 'ssm.transport.insecure_url'],
    ['ws://128.0.0.1/x', 'ssm.transport.insecure_url'],
    ['ws://10.0.0.1/x', 'ssm.transport.insecure_url'],
    ['ws://127.0.0.1.evil.example/x', 'ssm.transport.insecure_url'],
    ['ws://localhost.evil.example/x', 'ssm.transport.insecure_url'],
    ['ws://[::2]/x', 'ssm.transport.insecure_url'],
    ['http://127.0.0.1/x', 'ssm.transport.insecure_url'],
    ['https://ssmmessages.amazonaws.com/x', 'ssm.transport.insecure_url'],
    ['not a url', 'ssm.transport.bad_url'],
  ])('refuses %s', (url, code) => {
    expect(() => assertStreamUrlAllowed(url)).toThrow(expect.objectContaining({ code }));
  });
});
