import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AuditEntry } from '../audit/audit-entry.js';
import type { BudgetObserver } from '../ecs/rate-budget.js';
import type { SocketModeObserver } from '../slack/socket-mode/socket-mode-receiver.js';

/**
 * Why the front door turned a request away before any handler saw it: unsigned or stale, a signature that does not
 * match, or Slack's own API unreachable when the request had to be authorized (an outage, not an attack).
 */
export type SlackRefusal = 'stale_or_unsigned' | 'bad_signature' | 'slack_unavailable';

/** What the bot counts for `/metrics`, beyond the process defaults. */
export interface BotMetrics {
  slackRequestRefused(reason: SlackRefusal): void;
  /** The ECS budget's queue: depth, waits and refusals by budget class. */
  ecsBudget: BudgetObserver;
  /** Every audit entry: requests, decisions (and refused clicks), rejections and how runs ended. */
  audited(entry: AuditEntry): void;
  /** Socket Mode connections open, and the ones Slack refused or that could not be opened. */
  socketMode: SocketModeObserver;
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
  const budgetDepth = new Gauge({
    name: 'ecs_exec_ecs_budget_queue_depth',
    help: "ECS calls waiting for a token of the bot's client-side budget, by class (read, execute)",
    labelNames: ['class'],
    registers: [registry],
  });
  const budgetWait = new Histogram({
    name: 'ecs_exec_ecs_budget_wait_seconds',
    help: "How long ECS calls waited for the bot's client-side budget, by class; 0 when a token was free",
    labelNames: ['class'],
    buckets: [0, 0.1, 0.5, 1, 2, 5, 10, 20, 30],
    registers: [registry],
  });
  const budgetRefused = new Counter({
    name: 'ecs_exec_ecs_budget_refused_total',
    help: "ECS calls refused because the bot's budget queue was full, by class",
    labelNames: ['class'],
    registers: [registry],
  });
  const socketFailures = new Counter({
    name: 'ecs_exec_socket_mode_connection_failures_total',
    help: 'Socket Mode connections Slack refused (too_many_websockets: all 10 in use) or that could not be opened',
    labelNames: ['reason'],
    registers: [registry],
  });
  const socketOpen = new Gauge({
    name: 'ecs_exec_socket_mode_connections',
    help: 'Socket Mode connections this replica has open (2 for a moment while one replaces another)',
    registers: [registry],
  });
  return {
    socketMode: {
      connectionFailed: (reason) => socketFailures.inc({ reason }),
      openConnections: (count) => socketOpen.set(count),
    },
    slackRequestRefused(reason) {
      refused.inc({ reason });
    },
    ecsBudget: {
      queueDepth: (kind, depth) => budgetDepth.set({ class: kind }, depth),
      waited: (kind, waitMs) => budgetWait.observe({ class: kind }, waitMs / 1000),
      refused: (kind) => budgetRefused.inc({ class: kind }),
    },
    audited(entry) {
      audited.inc({ action: entry.action, outcome: entry.outcome });
      if (entry.action === 'finish' && entry.outcome === 'ok') finished.inc({ state: entry.to });
    },
  };
}
