/**
 * Every Slack identifier the bot registers or renders. manifest.yml declares the same command; a test checks that
 * the manifest, these ids and the registered listeners agree, so a renamed button cannot silently stop working.
 */
export const COMMAND = '/ecs-exec';

export const ACTION_IDS = {
  approve: 'ecs_exec_approve',
  deny: 'ecs_exec_deny',
  cancel: 'ecs_exec_cancel',
  stop: 'ecs_exec_stop',
  pickContainer: 'ecs_exec_pick_container',
  /** On the Home tab: the value is the request id and the binding the view showed. */
  homeApprove: 'ecs_exec_home_approve',
  homeDeny: 'ecs_exec_home_deny',
  /** On the Home tab: the value is a runbook's name. */
  homeRunbook: 'ecs_exec_home_runbook',
} as const;
export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

export const CALLBACK_IDS = {
  runbookParams: 'ecs_exec_runbook_params',
  denyReason: 'ecs_exec_deny_reason',
  breakGlassReason: 'ecs_exec_break_glass_reason',
} as const;
export type CallbackId = (typeof CALLBACK_IDS)[keyof typeof CALLBACK_IDS];

/** Events API events the bot subscribes to; manifest.yml lists exactly these. */
export const BOT_EVENTS = ['app_home_opened'] as const;

/** Bot scopes the app needs, and no more: the manifest must list exactly these. */
export const BOT_SCOPES = ['commands', 'chat:write', 'files:write', 'usergroups:read', 'users:read'] as const;
