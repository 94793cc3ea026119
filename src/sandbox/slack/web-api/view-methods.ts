import { randomBytes } from 'node:crypto';
import { blockProblems, SLACK_LIMITS } from '../block-limits.js';
import { isJsonObject } from '../http-body.js';
import type { JsonObject, StoredView } from '../types.js';
import { invalidArguments, type MethodResult, stringArg, type WorkspaceState } from '../workspace-state.js';
import type { MethodTable } from './method-table.js';

interface Trigger {
  user: string;
  expiresAt: number;
}

/**
 * `views.*`: modals opened with a trigger id, pushed on top of each other and updated, plus what a
 * `view_submission` ack's `response_action` does to them.
 */
export class ViewMethods {
  private readonly triggers = new Map<string, Trigger>();

  constructor(private readonly ws: WorkspaceState) {}

  table(): MethodTable {
    return {
      'views.open': (args) => this.openView(args, 'views.open'),
      'views.push': (args) => this.openView(args, 'views.push'),
      'views.update': (args) => this.updateView(args),
      'views.publish': (args) => this.publishHome(args),
    };
  }

  /** `views.publish`: replaces a user's Home tab with a `home` view (no trigger needed, as in Slack). */
  private publishHome(args: JsonObject): MethodResult {
    const user = stringArg(args['user_id']);
    if (!user) return { ok: false, error: 'invalid_arguments' };
    if (!this.ws.users.has(user)) return { ok: false, error: 'user_not_found' };
    const definition = args['view'];
    const problems = homeViewProblems(definition);
    if (problems.length > 0) return invalidArguments(problems);
    const previous = this.ws.homeViews.get(user);
    const hash = stringArg(args['hash']);
    if (hash !== undefined && previous && hash !== previous.hash) return { ok: false, error: 'hash_conflict' };
    const id = previous?.id ?? `V${this.ws.nextId()}`;
    const stored: StoredView = {
      id,
      user,
      trigger_id: '',
      hash: this.ws.newHash(),
      root_view_id: id,
      state: 'open',
      view: {},
    };
    stored.view = this.echoView(stored, definition as JsonObject);
    this.ws.homeViews.set(user, stored);
    this.ws.options.emit({ kind: 'home_published', view: stored });
    return { ok: true, view: stored.view };
  }

  /** A trigger id as Slack hands out with a command or click, tied to the user for `views.open`. */
  createTriggerId(user: string): string {
    const now = this.ws.options.clock.now();
    const id = `${Math.floor(now / 1000)}.${this.ws.nextNumber()}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { user, expiresAt: now + this.ws.options.triggerTtlMs });
    return id;
  }

  private openView(args: JsonObject, method: 'views.open' | 'views.push'): MethodResult {
    const triggerId = stringArg(args['trigger_id']);
    if (!triggerId) return { ok: false, error: 'invalid_arguments' };
    const trigger = this.triggers.get(triggerId);
    if (!trigger && this.ws.options.strictTriggers) return { ok: false, error: 'invalid_trigger_id' };
    if (trigger && trigger.expiresAt < this.ws.options.clock.now()) return { ok: false, error: 'expired_trigger_id' };
    const definition = args['view'];
    const problems = viewProblems(definition);
    if (problems.length > 0) return invalidArguments(problems);
    const user = trigger?.user;
    let previous: StoredView | undefined;
    if (method === 'views.push') {
      previous = [...this.ws.views.values()].reverse().find((view) => view.state === 'open' && view.user === user);
      if (!previous) return { ok: false, error: 'not_found' };
    }
    const id = `V${this.ws.nextId()}`;
    const stored: StoredView = {
      id,
      user,
      trigger_id: triggerId,
      hash: this.ws.newHash(),
      root_view_id: previous?.root_view_id ?? id,
      state: 'open',
      view: {},
    };
    if (previous) stored.previous_view_id = previous.id;
    const externalId = isJsonObject(definition) ? stringArg(definition['external_id']) : undefined;
    if (externalId) stored.external_id = externalId;
    stored.view = this.echoView(stored, definition as JsonObject);
    this.ws.views.set(id, stored);
    this.ws.options.emit({ kind: method === 'views.open' ? 'view_opened' : 'view_pushed', view: stored });
    return { ok: true, view: stored.view };
  }

  private updateView(args: JsonObject): MethodResult {
    const viewId = stringArg(args['view_id']);
    const externalId = stringArg(args['external_id']);
    if (!viewId && !externalId) return { ok: false, error: 'invalid_arguments' };
    const stored = viewId
      ? this.ws.views.get(viewId)
      : [...this.ws.views.values()].find((view) => view.external_id === externalId);
    if (!stored) return { ok: false, error: 'not_found' };
    const hash = stringArg(args['hash']);
    if (hash !== undefined && hash !== stored.hash) return { ok: false, error: 'hash_conflict' };
    const problems = viewProblems(args['view']);
    if (problems.length > 0) return invalidArguments(problems);
    stored.hash = this.ws.newHash();
    stored.view = this.echoView(stored, args['view'] as JsonObject);
    this.ws.options.emit({ kind: 'view_updated', view: stored });
    return { ok: true, view: stored.view };
  }

  /** Replaces an open modal's content as a `response_action: 'update'` ack does. */
  replaceView(viewId: string, definition: JsonObject): StoredView | undefined {
    const stored = this.ws.views.get(viewId);
    if (!stored || viewProblems(definition).length > 0) return undefined;
    stored.hash = this.ws.newHash();
    delete stored.errors;
    stored.view = this.echoView(stored, definition);
    this.ws.options.emit({ kind: 'view_updated', view: stored });
    return stored;
  }

  /** Shows per-block errors on an open modal as a `response_action: 'errors'` ack does. */
  setViewErrors(viewId: string, errors: Record<string, string>): StoredView | undefined {
    const stored = this.ws.views.get(viewId);
    if (!stored) return undefined;
    stored.errors = { ...errors };
    this.ws.options.emit({ kind: 'view_updated', view: stored });
    return stored;
  }

  /** Opens a modal on top of another, as a `response_action: 'push'` ack does. */
  pushViewOver(viewId: string, definition: JsonObject): StoredView | undefined {
    const previous = this.ws.views.get(viewId);
    if (!previous || viewProblems(definition).length > 0) return undefined;
    const id = `V${this.ws.nextId()}`;
    const stored: StoredView = {
      id,
      user: previous.user,
      trigger_id: previous.trigger_id,
      hash: this.ws.newHash(),
      root_view_id: previous.root_view_id,
      previous_view_id: previous.id,
      state: 'open',
      view: {},
    };
    stored.view = this.echoView(stored, definition);
    this.ws.views.set(id, stored);
    this.ws.options.emit({ kind: 'view_pushed', view: stored });
    return stored;
  }

  /** Marks a modal closed (the user submitted or dismissed it). */
  closeView(viewId: string): StoredView | undefined {
    const stored = this.ws.views.get(viewId);
    if (!stored || stored.state === 'closed') return stored;
    stored.state = 'closed';
    this.ws.options.emit({ kind: 'view_closed', view: stored });
    return stored;
  }

  private echoView(stored: StoredView, definition: JsonObject): JsonObject {
    const id = this.ws.options.identity;
    return {
      id: stored.id,
      team_id: id.teamId,
      type: definition['type'],
      blocks: definition['blocks'] ?? [],
      private_metadata: definition['private_metadata'] ?? '',
      callback_id: definition['callback_id'] ?? '',
      state: { values: {} },
      hash: stored.hash,
      title: definition['title'],
      clear_on_close: definition['clear_on_close'] ?? false,
      notify_on_close: definition['notify_on_close'] ?? false,
      close: definition['close'] ?? null,
      submit: definition['submit'] ?? null,
      previous_view_id: stored.previous_view_id ?? null,
      root_view_id: stored.root_view_id,
      app_id: id.appId,
      external_id: stored.external_id ?? '',
      app_installed_team_id: id.teamId,
      bot_id: id.botId,
    };
  }
}

/** What Slack says of a Home tab view: type `home`, no title needed, at most 100 blocks. */
function homeViewProblems(definition: unknown): string[] {
  if (!isJsonObject(definition)) return ['[ERROR] missing required field: view'];
  const problems: string[] = [];
  if (definition['type'] !== 'home') problems.push('[ERROR] must be "home" [json-pointer:/view/type]');
  problems.push(
    ...blockProblems(definition['blocks'] ?? [], SLACK_LIMITS.homeBlocks).map((problem) =>
      problem.replace('json-pointer:/blocks', 'json-pointer:/view/blocks'),
    ),
  );
  return problems;
}

function viewProblems(definition: unknown): string[] {
  if (!isJsonObject(definition)) return ['[ERROR] missing required field: view'];
  const problems: string[] = [];
  if (definition['type'] !== 'modal') problems.push('[ERROR] must be "modal" [json-pointer:/view/type]');
  if (!isJsonObject(definition['title'])) problems.push('[ERROR] missing required field: title [json-pointer:/view]');
  problems.push(
    ...blockProblems(definition['blocks'] ?? [], SLACK_LIMITS.modalBlocks).map((problem) =>
      problem.replace('json-pointer:/blocks', 'json-pointer:/view/blocks'),
    ),
  );
  return problems;
}
