import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../../../src/approval/approval-port.js';
import { CARD_LIMITS, requestCardBlocks } from '../../../../src/slack/blocks/request-card.js';

const NOW = Date.UTC(2026, 10, 27, 14, 0, 0);

function record(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: 'r-7f3k2m',
    state: 'pending_approval',
    version: 2,
    requester: 'U0REQUESTER',
    channel: 'C0INCIDENT',
    cardRef: '1764252000.000100',
    target: {
      clusterAlias: 'prod',
      cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod',
      taskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef0123456789abcdef',
      container: 'app',
    },
    command: 'rails runner "puts User.count"',
    params: {},
    reason: 'INC-42 user count looks wrong',
    ruleName: 'prod-with-approval',
    policyVersion: 'sha256:abc',
    approval: { approverGroups: ['sre'], count: 1, selfApproval: false, breakGlassAllowed: true },
    approvals: [],
    breakGlass: false,
    createdAtMs: NOW,
    expiresAtMs: NOW + 30 * 60_000,
    updatedAtMs: NOW,
    digest: 'a'.repeat(64),
    ...overrides,
  };
}

/** Every text a Slack client would render or check against a limit, by block kind. */
function texts(blocks: KnownBlock[]): { kind: string; text: string }[] {
  const found: { kind: string; text: string }[] = [];
  for (const block of blocks) {
    if (block.type === 'section') {
      if (block.text) found.push({ kind: 'section', text: block.text.text });
      for (const field of block.fields ?? []) found.push({ kind: 'field', text: field.text });
    } else if (block.type === 'header') found.push({ kind: 'header', text: block.text.text });
    else if (block.type === 'context') {
      for (const element of block.elements) if ('text' in element) found.push({ kind: 'context', text: element.text });
    }
  }
  return found;
}

function actionsOf(blocks: KnownBlock[]): { action_id: string; value: string }[] {
  const actions = blocks.find((block) => block.type === 'actions');
  if (actions?.type !== 'actions') return [];
  return actions.elements.map((element) => {
    const button = element as { action_id: string; value: string };
    return { action_id: button.action_id, value: button.value };
  });
}

const allText = (blocks: KnownBlock[]): string =>
  texts(blocks)
    .map((entry) => entry.text)
    .join('\n');

describe('request card', () => {
  it('shows requester, resolved target, exact command, reason, rule, approval needed and expiry', () => {
    const { blocks, text } = requestCardBlocks(record(), { nowMs: NOW });
    const shown = allText(blocks);
    expect(shown).toContain('<@U0REQUESTER>');
    expect(shown).toContain('prod / task 0123456789abcdef0123456789abcdef / app');
    expect(shown).toContain('```rails runner "puts User.count"```');
    expect(shown).toContain('INC-42 user count looks wrong');
    expect(shown).toContain('prod-with-approval');
    expect(shown).toContain('1 of @sre');
    expect(shown).toMatch(/<!date\^1795789800\^\{date_short_pretty\} \{time\}\|2026-11-27 14:30 UTC> \(in 30 min\)/);
    expect(text).toContain('r-7f3k2m');
  });

  it('never shows a secret typed into the command or a reason, in the blocks or the notification text', () => {
    const key = 'AKIAIOSFODNN7EXAMPLE';
    const card = record({
      command: `aws s3 ls --access-key ${key}`,
      reason: `leaked ${key}?`,
      breakGlass: true,
      breakGlassReason: `db down ${key}`,
    });
    const { blocks, text } = requestCardBlocks(card, { nowMs: NOW });
    const shown = `${allText(blocks)}\n${text}`;
    expect(shown).not.toContain(key);
    expect(shown).toContain('aws s3 ls --access-key [REDACTED');
    expect(text).toContain('aws s3 ls --access-key [REDACTED');
  });

  it('does not claim success for a run that ended without an exit status', () => {
    const unknown = record({ state: 'succeeded', result: { bytes: 10, sha256: 'x', redactions: 0 } });
    const known = record({ state: 'succeeded', result: { exitCode: 0, bytes: 10, sha256: 'x', redactions: 0 } });
    expect(requestCardBlocks(unknown, { nowMs: NOW }).text).toContain('🔚 Finished, exit code unknown');
    expect(requestCardBlocks(unknown, { nowMs: NOW }).text).not.toContain('✅');
    expect(requestCardBlocks(known, { nowMs: NOW }).text).toContain('✅ Succeeded');
  });

  it('offers Approve, Deny and Cancel carrying the request id while waiting', () => {
    expect(actionsOf(requestCardBlocks(record()).blocks)).toEqual([
      { action_id: 'ecs_exec_approve', value: 'r-7f3k2m' },
      { action_id: 'ecs_exec_deny', value: 'r-7f3k2m' },
      { action_id: 'ecs_exec_cancel', value: 'r-7f3k2m' },
    ]);
  });

  it('shows each approval with who and when, and keeps only Cancel until the run starts', () => {
    const approved = record({ state: 'approved', approvals: [{ userId: 'U0ALICE', atMs: NOW + 2 * 60_000 }] });
    const { blocks } = requestCardBlocks(approved);
    expect(allText(blocks)).toContain('Approved by <@U0ALICE> at <!date^1795788120^{time}|2026-11-27 14:02 UTC>');
    expect(actionsOf(blocks).map((action) => action.action_id)).toEqual(['ecs_exec_cancel']);
    expect(actionsOf(requestCardBlocks({ ...approved, state: 'running' }).blocks)).toEqual([]);
  });

  it.each(['denied', 'expired', 'cancelled', 'succeeded', 'failed', 'timed_out', 'interrupted', 'error'] as const)(
    'removes every button once the request is %s',
    (state) => {
      expect(requestCardBlocks(record({ state })).blocks.some((block) => block.type === 'actions')).toBe(false);
    },
  );

  it('says who denied, with their reason, made inert', () => {
    const denied = record({ state: 'denied', deniedBy: 'U0BOB', denyReason: 'not now <!channel>', updatedAtMs: NOW });
    const shown = allText(requestCardBlocks(denied).blocks);
    expect(shown).toContain('Denied by <@U0BOB>');
    expect(shown).toContain('not now &lt;!channel&gt;');
    expect(shown).not.toContain('<!channel>');
  });

  it('announces break-glass loudly at the top, with the reason', () => {
    const card = requestCardBlocks(record({ state: 'approved', breakGlass: true, breakGlassReason: 'payments down' }));
    const first = texts(card.blocks)[0];
    expect(first?.text).toMatch(/BREAK-GLASS.*without approval/s);
    expect(first?.text).toContain('payments down');
    expect(card.text).toMatch(/^BREAK-GLASS/);
  });

  it('shows group labels from the config, and progress when more than one approval is needed', () => {
    const twoOf = record({
      approval: { approverGroups: ['sre', 'dba'], count: 2, selfApproval: false, breakGlassAllowed: false },
      approvals: [{ userId: 'U0ALICE', atMs: NOW }],
    });
    const shown = allText(requestCardBlocks(twoOf, { groupLabels: { sre: '<!subteam^S0123SRE>' } }).blocks);
    expect(shown).toContain('2 of <!subteam^S0123SRE> or @dba (1 so far)');
  });

  it('cannot be made to mention, link or break out of the code block by the command or reason', () => {
    const hostile = record({
      command: 'echo "<!channel> <@U0BOSS> <https://evil.example|click>" ``` *bold* & done',
      reason: '<!here> see <https://evil.example|docs>',
      requester: 'U0REQUESTER',
    });
    const card = requestCardBlocks(hostile);
    const serialized = JSON.stringify(card);
    for (const token of ['<!channel>', '<@U0BOSS>', '<https://evil', '<!here>']) {
      expect(serialized).not.toContain(token);
    }
    const command = texts(card.blocks).find((entry) => entry.text.startsWith('*Command*'))?.text ?? '';
    expect(command.match(/```/g)).toHaveLength(2);
    expect(command).toContain('&lt;!channel&gt; &lt;@U0BOSS&gt;');
    expect(command).toContain('&amp; done');
  });

  it('stays within Slack limits with a 100 KB command, long reason, many parameters and approvals', () => {
    const huge = record({
      command: `${'x&<>```🎉'.repeat(12_000)}`,
      reason: '<'.repeat(5000),
      runbook: 'r'.repeat(3000),
      params: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`p${i}`, 'v'.repeat(100)])),
      approval: { approverGroups: ['sre'], count: 60, selfApproval: false, breakGlassAllowed: true },
      approvals: Array.from({ length: 59 }, (_, i) => ({ userId: `U0APPROVER${i}`, atMs: NOW })),
      breakGlass: true,
      breakGlassReason: '&'.repeat(4000),
      ruleName: 'n'.repeat(5000),
      target: { clusterAlias: 'c'.repeat(3000), cluster: 'c', taskArn: 't'.repeat(3000), container: 'k'.repeat(3000) },
    });
    const card = requestCardBlocks(huge, { nowMs: NOW });
    expect(card.blocks.length).toBeLessThanOrEqual(CARD_LIMITS.blocks);
    for (const { kind, text } of texts(card.blocks)) {
      const limit = { section: 3000, field: 2000, header: 150, context: 3000 }[kind] ?? 0;
      expect(text.length, `${kind} text`).toBeLessThanOrEqual(limit);
    }
    expect(card.text.length).toBeLessThanOrEqual(CARD_LIMITS.fallbackText);
    const command = texts(card.blocks).find((entry) => entry.text.startsWith('*Command*'))?.text ?? '';
    expect(command).toMatch(/… [\d,]+ more characters not shown```$/);
    expect(command).not.toContain('\uFFFD');
    // No half-escaped entity at the cut.
    expect(command.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/&/);
    expect(allText(card.blocks)).toContain('… and 40 more');
  });
});
