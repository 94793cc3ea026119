// Runs in the browser as well as in Node: no DOM, and no imports but the emoji table (the playground server serves
// both). Every piece of text that reaches the page passes through escapeHtml here, so a command that prints
// `<script>` shows those characters and nothing else.
import { emoji } from './emoji.js';
import type { RenderableMessage, RenderableView, RenderContext } from './render-types.js';

export type { RenderableMessage, RenderableView, RenderContext } from './render-types.js';

type Json = { [key: string]: unknown };

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** Slack sends `&`, `<` and `>` as entities in message text; these are the characters the reader sees. */
function decodeSlackEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

function defaultFormatDate(_epochSeconds: number, _format: string, fallback: string): string {
  return fallback;
}

/** `*bold*`, `_italic_`, `~strike~` and `:emoji:` on text that is already escaped. */
function formatEscaped(escaped: string): string {
  return escaped
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '$1<strong>$2</strong>')
    .replace(/(^|[^\w])_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g, '$1<del>$2</del>')
    .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => emoji(name) ?? whole);
}

function renderMarkup(inner: string, context: RenderContext): string {
  const [target = '', label] = splitOnce(inner, '|');
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const name = context.userName(id) ?? label ?? id;
    return `<span class="mention">@${escapeHtml(decodeSlackEntities(name))}</span>`;
  }
  if (target.startsWith('#')) {
    return `<span class="mention">#${escapeHtml(decodeSlackEntities(label ?? target.slice(1)))}</span>`;
  }
  if (target.startsWith('!subteam^')) {
    const id = target.slice('!subteam^'.length);
    const handle = context.groupHandle(id) ?? label?.replace(/^@/, '') ?? id;
    return `<span class="mention">@${escapeHtml(decodeSlackEntities(handle))}</span>`;
  }
  if (target.startsWith('!date^')) {
    const [, seconds = '', format = ''] = target.split('^');
    const fallback = decodeSlackEntities(label ?? '');
    const epoch = Number(seconds);
    const shown = Number.isFinite(epoch)
      ? (context.formatDate ?? defaultFormatDate)(epoch, format, fallback)
      : fallback;
    return `<time>${escapeHtml(shown)}</time>`;
  }
  if (target === '!here' || target === '!channel' || target === '!everyone') {
    return `<span class="mention">@${escapeHtml(target.slice(1))}</span>`;
  }
  const url = decodeSlackEntities(target);
  const text = decodeSlackEntities(label ?? target);
  if (SAFE_URL.test(url)) {
    return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
  }
  return escapeHtml(text);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index === -1 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

/** One line-level run of mrkdwn without code fences: markup, inline code, then formatting of the rest. */
function renderInline(text: string, context: RenderContext): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(/`([^`\n]+)`|<([^<>\n]+)>/g)) {
    const index = match.index ?? 0;
    html += formatEscaped(escapeHtml(decodeSlackEntities(text.slice(last, index))));
    if (match[1] !== undefined) html += `<code>${escapeHtml(decodeSlackEntities(match[1]))}</code>`;
    else html += renderMarkup(match[2] ?? '', context);
    last = index + match[0].length;
  }
  html += formatEscaped(escapeHtml(decodeSlackEntities(text.slice(last))));
  return html;
}

/** Slack mrkdwn as HTML: code blocks, inline code, mentions, links, dates, bold/italic/strike and emoji. */
export function mrkdwnToHtml(text: string, context: RenderContext): string {
  const parts = text.split('```');
  // An unmatched fence is shown as typed, as Slack does.
  if (parts.length % 2 === 0) parts[parts.length - 2] = `${parts[parts.length - 2] ?? ''}\`\`\`${parts.pop() ?? ''}`;
  return parts
    .map((part, index) => {
      if (index % 2 === 0) return renderInline(part, context);
      const code = part.replace(/^\n/, '').replace(/\n$/, '');
      return `<pre class="code-block">${escapeHtml(decodeSlackEntities(code))}</pre>`;
    })
    .join('');
}

/** `plain_text` objects: escaped, with `:emoji:` when the object asks for it (Slack's default). */
export function plainToHtml(text: string, withEmoji = true): string {
  const escaped = escapeHtml(text);
  return withEmoji ? escaped.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => emoji(name) ?? whole) : escaped;
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A composition object (`{ type: 'mrkdwn' | 'plain_text', text }`) as HTML. */
function textObject(value: unknown, context: RenderContext): string {
  if (!isJson(value)) return '';
  const text = str(value['text']);
  return value['type'] === 'mrkdwn' ? mrkdwnToHtml(text, context) : plainToHtml(text, value['emoji'] !== false);
}

function plainOf(value: unknown): string {
  return isJson(value) ? str(value['text']) : '';
}

function button(element: Json, blockId: string): string {
  const style = element['style'] === 'primary' || element['style'] === 'danger' ? ` btn-${element['style']}` : '';
  const label = plainToHtml(plainOf(element['text']));
  const url = str(element['url']);
  if (url && SAFE_URL.test(url)) {
    return `<a class="btn${style}" href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${label}</a>`;
  }
  return (
    `<button type="button" class="btn${style}" data-action-id="${escapeHtml(str(element['action_id']))}"` +
    ` data-block-id="${escapeHtml(blockId)}" data-value="${escapeHtml(str(element['value']))}">${label}</button>`
  );
}

function image(element: Json, className: string): string {
  const url = str(element['image_url']);
  const alt = str(element['alt_text']);
  if (!/^https?:\/\//i.test(url)) return `<span class="${className}-alt">${escapeHtml(alt)}</span>`;
  return `<img class="${className}" src="${escapeHtml(url)}" alt="${escapeHtml(alt)}">`;
}

/** Elements of an actions block or a section accessory that a person can use. */
function interactive(element: unknown, blockId: string): string {
  if (!isJson(element)) return '';
  if (element['type'] === 'button') return button(element, blockId);
  if (element['type'] === 'image') return image(element, 'accessory-image');
  // Selects and other inputs outside modals are not used by the bot; show what they are rather than nothing.
  const placeholder = plainOf(element['placeholder']) || str(element['type']);
  return `<span class="unsupported">${escapeHtml(placeholder)}</span>`;
}

const RICH_STYLES: ReadonlyArray<[string, string]> = [
  ['code', 'code'],
  ['bold', 'strong'],
  ['italic', 'em'],
  ['strike', 'del'],
];

function richElement(element: unknown, context: RenderContext): string {
  if (!isJson(element)) return '';
  const style = isJson(element['style']) ? element['style'] : {};
  let html: string;
  switch (element['type']) {
    case 'text':
      html = escapeHtml(str(element['text']));
      break;
    case 'link': {
      const url = str(element['url']);
      const text = escapeHtml(str(element['text']) || url);
      html = SAFE_URL.test(url)
        ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${text}</a>`
        : text;
      break;
    }
    case 'user':
      html = `<span class="mention">@${escapeHtml(context.userName(str(element['user_id'])) ?? str(element['user_id']))}</span>`;
      break;
    case 'usergroup':
      html = `<span class="mention">@${escapeHtml(context.groupHandle(str(element['usergroup_id'])) ?? str(element['usergroup_id']))}</span>`;
      break;
    case 'channel':
      html = `<span class="mention">#${escapeHtml(str(element['channel_id']))}</span>`;
      break;
    case 'broadcast':
      html = `<span class="mention">@${escapeHtml(str(element['range']))}</span>`;
      break;
    case 'emoji':
      html = escapeHtml(emoji(str(element['name'])) ?? `:${str(element['name'])}:`);
      break;
    default:
      html = '';
  }
  for (const [key, tag] of RICH_STYLES) if (style[key] === true) html = `<${tag}>${html}</${tag}>`;
  return html;
}

function richElements(value: unknown, context: RenderContext): string {
  return Array.isArray(value) ? value.map((element) => richElement(element, context)).join('') : '';
}

function richBlockPart(part: unknown, context: RenderContext): string {
  if (!isJson(part)) return '';
  switch (part['type']) {
    case 'rich_text_section':
      return `<div class="rich-section">${richElements(part['elements'], context)}</div>`;
    case 'rich_text_preformatted':
      return `<pre class="code-block">${richElements(part['elements'], context)}</pre>`;
    case 'rich_text_quote':
      return `<blockquote>${richElements(part['elements'], context)}</blockquote>`;
    case 'rich_text_list': {
      const tag = part['style'] === 'ordered' ? 'ol' : 'ul';
      const items = Array.isArray(part['elements']) ? part['elements'] : [];
      const listed = items
        .map((item) => (isJson(item) ? `<li>${richElements(item['elements'], context)}</li>` : ''))
        .join('');
      return `<${tag}>${listed}</${tag}>`;
    }
    default:
      return '';
  }
}

function inputBlock(block: Json, errors: Record<string, string>): string {
  const blockId = str(block['block_id']);
  const element = isJson(block['element']) ? block['element'] : {};
  const actionId = str(element['action_id']);
  const name = `${escapeHtml(blockId)}`;
  const data = `data-block-id="${name}" data-action-id="${escapeHtml(actionId)}"`;
  const inputId = `input-${name}`;
  let control: string;
  if (element['type'] === 'static_select') {
    const initial = isJson(element['initial_option']) ? str(element['initial_option']['value']) : '';
    const options = (Array.isArray(element['options']) ? element['options'] : [])
      .filter(isJson)
      .map((option) => {
        const value = str(option['value']);
        const selected = value === initial ? ' selected' : '';
        return `<option value="${escapeHtml(value)}"${selected}>${plainToHtml(plainOf(option['text']))}</option>`;
      })
      .join('');
    const empty = initial ? '' : '<option value="">Choose…</option>';
    control = `<select id="${inputId}" ${data}>${empty}${options}</select>`;
  } else if (element['multiline'] === true) {
    control = `<textarea id="${inputId}" ${data}>${escapeHtml(str(element['initial_value']))}</textarea>`;
  } else {
    const type = element['type'] === 'number_input' ? 'number' : 'text';
    const initial = str(element['initial_value']);
    control = `<input id="${inputId}" type="${type}" ${data} value="${escapeHtml(initial)}">`;
  }
  const optional = block['optional'] === true ? ' <span class="optional">(optional)</span>' : '';
  const hint = block['hint'] ? `<div class="hint">${plainToHtml(plainOf(block['hint']))}</div>` : '';
  const error = errors[blockId]
    ? `<div class="field-error" role="alert">${escapeHtml(errors[blockId] ?? '')}</div>`
    : '';
  return (
    `<div class="input-block${error ? ' has-error' : ''}"><label for="${inputId}">${plainToHtml(plainOf(block['label']))}` +
    `${optional}</label>${control}${hint}${error}</div>`
  );
}

/** Block Kit blocks as HTML: header, section (text, fields, accessory), context, divider, actions, rich text, image, input. */
export function blocksToHtml(
  blocks: readonly unknown[],
  context: RenderContext,
  errors: Record<string, string> = {},
): string {
  return blocks
    .map((block) => {
      if (!isJson(block)) return '';
      const blockId = str(block['block_id']);
      switch (block['type']) {
        case 'header':
          return `<div class="block-header">${plainToHtml(plainOf(block['text']))}</div>`;
        case 'section': {
          const text = block['text'] ? `<div class="section-text">${textObject(block['text'], context)}</div>` : '';
          const fields = Array.isArray(block['fields'])
            ? `<div class="section-fields">${block['fields'].map((field) => `<div class="field">${textObject(field, context)}</div>`).join('')}</div>`
            : '';
          const accessory = block['accessory']
            ? `<div class="accessory">${interactive(block['accessory'], blockId)}</div>`
            : '';
          return `<div class="block-section">${text}${fields}${accessory}</div>`;
        }
        case 'context': {
          const elements = Array.isArray(block['elements']) ? block['elements'] : [];
          const parts = elements
            .map((element) =>
              isJson(element) && element['type'] === 'image'
                ? image(element, 'context-image')
                : `<span>${textObject(element, context)}</span>`,
            )
            .join(' ');
          return `<div class="block-context">${parts}</div>`;
        }
        case 'divider':
          return '<hr class="block-divider">';
        case 'actions': {
          const elements = Array.isArray(block['elements']) ? block['elements'] : [];
          return `<div class="block-actions">${elements.map((element) => interactive(element, blockId)).join('')}</div>`;
        }
        case 'rich_text': {
          const parts = Array.isArray(block['elements']) ? block['elements'] : [];
          return `<div class="block-rich">${parts.map((part) => richBlockPart(part, context)).join('')}</div>`;
        }
        case 'image': {
          const title = block['title'] ? `<div class="image-title">${plainToHtml(plainOf(block['title']))}</div>` : '';
          return `<div class="block-image">${title}${image(block, 'image')}</div>`;
        }
        case 'input':
          return inputBlock(block, errors);
        default:
          return `<div class="unsupported">${escapeHtml(`[${str(block['type']) || 'unknown'} block]`)}</div>`;
      }
    })
    .join('');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A message's body: its blocks (or its text when it has none), legacy attachments, and files as download links. */
export function messageBodyToHtml(message: RenderableMessage, context: RenderContext): string {
  const blocks = Array.isArray(message.blocks) && message.blocks.length > 0 ? message.blocks : undefined;
  let html = blocks
    ? blocksToHtml(blocks, context)
    : message.text
      ? `<div class="section-text">${mrkdwnToHtml(message.text, context)}</div>`
      : '';
  for (const attachment of message.attachments ?? []) {
    if (!isJson(attachment)) continue;
    const inner = Array.isArray(attachment['blocks'])
      ? blocksToHtml(attachment['blocks'], context)
      : mrkdwnToHtml(str(attachment['text']) || str(attachment['fallback']), context);
    html += `<div class="attachment">${inner}</div>`;
  }
  for (const file of message.files ?? []) {
    const id = encodeURIComponent(file.id);
    const name = escapeHtml(file.name);
    html +=
      `<div class="file"><span class="file-icon" aria-hidden="true">📄</span>` +
      `<a class="file-download" href="/files/${id}?download=1" download="${name}">${name}</a>` +
      ` <span class="file-size">${escapeHtml(formatBytes(file.size))}</span>` +
      ` <a class="file-view" href="/files/${id}" target="_blank" rel="noopener">view</a></div>`;
  }
  return html;
}

/** A modal as a form: title, blocks (inputs keep their block and action ids), errors, Cancel and Submit. */
export function viewToHtml(stored: RenderableView, context: RenderContext): string {
  const view = stored.view;
  const blocks = Array.isArray(view['blocks']) ? view['blocks'] : [];
  const submit = plainOf(view['submit']);
  const close = plainOf(view['close']) || 'Close';
  const general = stored.errors?.['_']
    ? `<div class="field-error" role="alert">${escapeHtml(stored.errors['_'])}</div>`
    : '';
  return (
    `<form class="modal" data-view-id="${escapeHtml(stored.id)}" role="dialog" aria-modal="true">` +
    `<div class="modal-title">${plainToHtml(plainOf(view['title']))}</div>` +
    `<div class="modal-body">${blocksToHtml(blocks, context, stored.errors ?? {})}${general}</div>` +
    '<div class="modal-footer">' +
    `<button type="button" class="btn modal-close">${plainToHtml(close)}</button>` +
    (submit ? `<button type="submit" class="btn btn-primary modal-submit">${plainToHtml(submit)}</button>` : '') +
    '</div></form>'
  );
}
