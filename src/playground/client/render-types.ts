// The shapes the renderer works on; types only, so nothing of this module reaches the browser.

/** Names the page knows, so `<@U…>` and `<!subteam^S…>` render as @names. */
export interface RenderContext {
  userName(id: string): string | undefined;
  groupHandle(id: string): string | undefined;
  /** Renders a Slack date token; the default shows the fallback text Slack would show without a client. */
  formatDate?(epochSeconds: number, format: string, fallback: string): string;
}

/** A message or ephemeral as the page holds it (the stand-in's stored shape, without file bytes). */
export interface RenderableMessage {
  ts: string;
  text: string;
  blocks?: unknown[] | undefined;
  attachments?: unknown[] | undefined;
  files?: ReadonlyArray<{ id: string; name: string; title?: string; size: number; mimetype?: string }> | undefined;
}

/** A modal as `views.open` stored it, with per-block errors from a refused submission. */
export interface RenderableView {
  id: string;
  view: { [key: string]: unknown };
  errors?: Record<string, string> | undefined;
}
