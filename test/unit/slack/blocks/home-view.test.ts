import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../../../src/approval/approval-port.js';
import { blockProblems } from '../../../../src/sandbox/slack/block-limits.js';
import {
  HOME_VIEW_LIMITS,
  homeDecisionValue,
  homeView,
  parseHomeDecisionValue,
} from '../../../../src/slack/blocks/home-view.js';
import { ACTION_IDS } from '../../../../src/slack/ids.js';
import type { HomePage } from '../../../../src/workflow/home.js';

const NOW = Date.UTC(2026, 10, 27, 14, 0, 0);

function record(id: string, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id,
    state: 'pending_approval',
    version: 1,
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
    reason: 'INC-42',
    ruleName: 'prod',
    policyVersion: 'sha256:abc',
    approval: { approverGroups: ['sre'], count: 1, selfApproval: false, breakGlassAllowed: false },
    approvals: [],
    breakGlass: false,
    createdAtMs: NOW,
    expiresAtMs: NOW + 60_000,
    updatedAtMs: NOW,
    digest: 'a'.repeat(64),
    ...overrides,
  };
}

function page(overrides: Partial<HomePage> = {}): HomePage {
  return { userId: 'U0BOB', awaiting: [], awaitingMore: 0, recent: [], runbooks: [], ...overrides };
}

const buttons = (blocks: KnownBlock[]) =>
  blocks.flatMap((block): unknown[] =>
    block.type === 'actions' ? block.elements : block.type === 'section' && block.accessory ? [block.accessory] : [],
  ) as { action_id: string; value: string }[];

describe('the Home view', () => {
  it('offers Approve and Deny for each waiting request, carrying its id and the binding shown', () => {
    const binding = 'b'.repeat(64);
    const view = homeView(page({ awaiting: [{ record: record('r-one', { reason: '<!channel> now' }), binding }] }));
    expect(view.type).toBe('home');
    const found = buttons(view.blocks);
    expect(found.map((button) => button.action_id)).toEqual([ACTION_IDS.homeApprove, ACTION_IDS.homeDeny]);
    expect(found.every((button) => button.value === homeDecisionValue('r-one', binding))).toBe(true);
    expect(parseHomeDecisionValue(found[0]?.value ?? '')).toEqual({ requestId: 'r-one', binding });
    // What people typed is shown inert: no channel-wide mention from a reason.
    expect(JSON.stringify(view.blocks)).not.toContain('<!channel>');
  });

  it('says when nothing waits, lists recent requests with their state, and offers Run per runbook', () => {
    const view = homeView(
      page({
        recent: [record('r-done', { state: 'succeeded' })],
        runbooks: [
          { name: 'warm-cache', runbook: { target: 'demo/web', command: 'true', description: 'Warm it' } as never },
        ],
      }),
      'Your approval is counted.',
    );
    const all = JSON.stringify(view.blocks);
    expect(all).toContain('Your approval is counted.');
    expect(all).toContain('Nothing is waiting for your approval.');
    expect(all).toMatch(/succeeded · \*r-done\*/);
    expect(buttons(view.blocks)).toEqual([
      expect.objectContaining({ action_id: ACTION_IDS.homeRunbook, value: 'warm-cache' }),
    ]);
  });

  it('links a recent request to its card when Slack gave a permalink, and ignores one that could break the markup', () => {
    const recent = [record('r-one', { state: 'running' }), record('r-two', { state: 'failed' })];
    const links = new Map([
      ['r-one', 'https://acme.slack.com/archives/C0INCIDENT/p1764252000000100'],
      ['r-two', 'https://evil.example/|<!channel>'],
    ]);
    const all = JSON.stringify(homeView(page({ recent }), undefined, links).blocks);
    expect(all).toContain('*<https://acme.slack.com/archives/C0INCIDENT/p1764252000000100|r-one>*');
    expect(all).toContain('*r-two*');
    expect(all).not.toContain('<!channel>');
  });

  it('refuses values it did not make', () => {
    expect(parseHomeDecisionValue('r-one')).toBeUndefined();
    expect(parseHomeDecisionValue(`r-one ${'z'.repeat(64)}`)).toBeUndefined();
    expect(parseHomeDecisionValue(`r one ${'a'.repeat(64)}`)).toBeUndefined();
  });

  it("stays within Slack's 100 blocks with many requests and runbooks, saying how many more there are", () => {
    const awaiting = Array.from({ length: 80 }, (_, i) => ({ record: record(`r-${i}`), binding: 'c'.repeat(64) }));
    const runbooks = Array.from({ length: 80 }, (_, i) => ({
      name: `rb-${i}`,
      runbook: { target: 'demo/web', command: 'true' } as never,
    }));
    const view = homeView(page({ awaiting, awaitingMore: 5, runbooks }), 'notice');
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_VIEW_LIMITS.blocks);
    expect(blockProblems(view.blocks, HOME_VIEW_LIMITS.blocks)).toEqual([]);
    const all = JSON.stringify(view.blocks);
    const shownRequests = buttons(view.blocks).filter((button) => button.action_id === ACTION_IDS.homeApprove).length;
    expect(all).toContain(`… and ${80 - shownRequests + 5} more waiting for your approval`);
    const shownRunbooks = buttons(view.blocks).filter((button) => button.action_id === ACTION_IDS.homeRunbook).length;
    expect(all).toContain(`… and ${80 - shownRunbooks} more`);
  });
});
