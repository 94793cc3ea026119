import { Counter, type Registry } from 'prom-client';
import type { AuditEntry } from '../audit/audit-entry.js';

/**
 * Why the front door turned a request away before any handler saw it: unsigned or stale, a signature that does not
 * match, or Slack's own API unreachable when the request had to be authorized (an outage, not an attack).
 */
export type SlackRefusal = 'stale_or_unsigned' | 'bad_signature' | 'slack_unavailable';

/** What the bot counts for `/metrics`, beyond the process defaults. */
export interface BotMetrics {
  slackRequestRefused(reason: SlackRefusal): void;
  /** Every audit entry: requests, decisions (and refused clicks), rejections and how runs ended. */
  audited(entry: AuditEntry): void;
}

/**
 * Prometheus counters. The audit trail already records every request, decision, rejection and run end, so counting
 * its entries gives all of those from one place, and a new kind of refusal is counted the day it is audited.
 */
export function createBotMetrics(registry: Registry): BotMetrics {
  const refused = new Counter({
    name: 'ecs_exec_slack_requests_refused_total',
    help:
      'Requests to /slack/events turned away before any handler: unsigned or stale, a signature that does not match, ' +
      'or Slack unreachable to authorize them (slack_unavailable)',
    labelNames: ['reason'],
    registers: [registry],
  });
  const audited = new Counter({
    name: 'ecs_exec_audit_entries_total',
    help: 'Audit entries written, by action (create, approve, deny, reject, dispatch, finish, ...) and outcome',
    labelNames: ['action', 'outcome'],
    registers: [registry],
  });
  const finished = new Counter({
    name: 'ecs_exec_runs_finished_total',
    help: 'Runs that reached a final state after dispatch, by that state',
    labelNames: ['state'],
    registers: [registry],
  });
  return {
    slackRequestRefused(reason) {
      refused.inc({ reason });
    },
    audited(entry) {
      audited.inc({ action: entry.action, outcome: entry.outcome });
      if (entry.action === 'finish' && entry.outcome === 'ok') finished.inc({ state: entry.to });
    },
  };
}
