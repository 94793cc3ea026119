import type { JsonObject, StoredView } from './types.js';
import { ChatMethods } from './web-api/chat-methods.js';
import { DirectoryMethods } from './web-api/directory-methods.js';
import { FileMethods } from './web-api/file-methods.js';
import type { MethodTable } from './web-api/method-table.js';
import { ViewMethods } from './web-api/view-methods.js';
import { type MethodResult, type WorkspaceOptions, WorkspaceState } from './workspace-state.js';

export {
  DEFAULT_IDENTITY,
  type MethodResult,
  type StandInIdentity,
  type WorkspaceOptions,
} from './workspace-state.js';

/**
 * The workspace the stand-in serves: its state, changed by Web API calls. Each API family (chat, views, files, the
 * directory of users, groups and conversations) lives in its own module under `web-api/`; a new method is one entry
 * in its family's table.
 */
export class SlackWorkspace extends WorkspaceState {
  private readonly viewMethods: ViewMethods;
  private readonly fileMethods: FileMethods;
  private readonly methods: MethodTable;

  constructor(options: WorkspaceOptions) {
    super(options);
    this.viewMethods = new ViewMethods(this);
    this.fileMethods = new FileMethods(this);
    this.methods = {
      'api.test': (args) => ({ ok: true, args }),
      ...new DirectoryMethods(this).table(),
      ...new ChatMethods(this).table(),
      ...this.viewMethods.table(),
      ...this.fileMethods.table(),
    };
  }

  /** Runs one Web API method (authentication already checked). */
  call(method: string, args: JsonObject): MethodResult {
    const run = Object.hasOwn(this.methods, method) ? this.methods[method] : undefined;
    return run ? run(args) : { ok: false, error: 'unknown_method' };
  }

  /** A trigger id as Slack hands out with a command or click, tied to the user for `views.open`. */
  createTriggerId(user: string): string {
    return this.viewMethods.createTriggerId(user);
  }

  /** Stores the bytes POSTed to an upload URL; false when the URL is unknown or already used. */
  receiveUpload(uploadToken: string, content: Buffer): boolean {
    return this.fileMethods.receiveUpload(uploadToken, content);
  }

  /** Replaces an open modal's content as a `response_action: 'update'` ack does. */
  replaceView(viewId: string, definition: JsonObject): StoredView | undefined {
    return this.viewMethods.replaceView(viewId, definition);
  }

  /** Shows per-block errors on an open modal as a `response_action: 'errors'` ack does. */
  setViewErrors(viewId: string, errors: Record<string, string>): StoredView | undefined {
    return this.viewMethods.setViewErrors(viewId, errors);
  }

  /** Opens a modal on top of another, as a `response_action: 'push'` ack does. */
  pushViewOver(viewId: string, definition: JsonObject): StoredView | undefined {
    return this.viewMethods.pushViewOver(viewId, definition);
  }

  /** Marks a modal closed (the user submitted or dismissed it). */
  closeView(viewId: string): StoredView | undefined {
    return this.viewMethods.closeView(viewId);
  }
}
