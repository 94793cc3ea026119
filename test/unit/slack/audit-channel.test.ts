import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/audit/audit-entry.js';
import { auditChannelLine } from '../../../src/slack/audit-channel.js';

function entry(overrides: Partial<AuditEntry>): AuditEntry {
  return {
    seq: 7,
    prev: '0'.repeat(40),
    hash: '1'.repeat(40),
    atMs: Date.UTC(2026, 10, 28, 4, 0, 0),
    requestId: 'r-7f3k2m',
    action: 'approve',
    actor: 'U0ALICE',
    from: 'pending_approval',
    to: 'approved',
    version: 2,
    outcome: 'ok',
    detail: {},
    ...overrides,
  };
}

describe('audit channel lines', () => {
  it.each([
    [entry({}), '👍 approved r-7f3k2m by <@U0ALICE>'],
    [
      entry({ action: 'deny', to: 'denied', detail: { reason: 'not <!here> now' } }),
      '🚫 denied r-7f3k2m by <@U0ALICE>: not &lt;!here&gt; now',
    ],
    [
      entry({ action: 'finish', actor: 'ip-10-0-1-7-4f2a9c', from: 'running', to: 'failed', detail: { exitCode: 3 } }),
      '🏁 finished r-7f3k2m (failed, exit 3)',
    ],
    [
      entry({ action: 'finish', actor: 'ip-10-0-1-7-4f2a9c', to: 'interrupted', detail: {} }),
      '🏁 finished r-7f3k2m (interrupted)',
    ],
    [entry({ action: 'expire', actor: 'ip-10-0-1-7-4f2a9c', to: 'expired' }), '💤 expired r-7f3k2m'],
  ])('%# says what happened and who did it, naming only people', (audited, line) => {
    expect(auditChannelLine(audited)).toBe(line);
  });

  it('says nothing for refused clicks or steps nobody needs to watch', () => {
    expect(auditChannelLine(entry({ outcome: 'self_approval' }))).toBeUndefined();
    expect(auditChannelLine(entry({ action: 'dispatch', actor: 'ip-10-0-1-7-4f2a9c' }))).toBeUndefined();
  });
});
