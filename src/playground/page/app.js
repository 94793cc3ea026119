// The playground page: a Slack-like channel drawn from the stand-in's state. Text reaches the DOM only through
// render-blocks.js, which escapes everything; this file only wires events, state and the JSON API.
import { createHomeTab } from '/home-tab.js';
import { escapeHtml, messageBodyToHtml, viewToHtml } from '/render-blocks.js';

const state = {
  people: [],
  usergroups: new Map(),
  bot: { name: 'ecs-exec', userId: '', botId: '' },
  channel: { id: '', name: '' },
  /** ts -> message */
  messages: new Map(),
  /** ts -> ephemeral (every user's; only the acting user's are shown) */
  ephemerals: new Map(),
  /** view id -> stored view */
  views: new Map(),
  user: localStorage.getItem('ecs-exec-playground-user') ?? '',
  history: [],
  historyIndex: -1,
};

const $ = (id) => document.getElementById(id);
const messagesEl = $('messages');
const modalRoot = $('modal-root');
const input = $('composer-input');
const statusEl = $('composer-status');
const switcher = $('user-switcher');

const pad = (n) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const context = {
  userName: (id) => {
    if (id === state.bot.userId) return state.bot.name;
    return state.people.find((person) => person.id === id)?.name;
  },
  groupHandle: (id) => state.usergroups.get(id),
  formatDate: (seconds, format, fallback) => {
    const date = new Date(seconds * 1000);
    if (Number.isNaN(date.getTime())) return fallback;
    const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
    const short = `${MONTHS[date.getMonth()]} ${date.getDate()}`;
    const shown = format
      .replaceAll('{time_secs}', `${time}:${pad(date.getSeconds())}`)
      .replaceAll('{time}', time)
      .replaceAll('{date_short_pretty}', short)
      .replaceAll('{date_short}', short)
      .replaceAll('{date_pretty}', `${short}, ${date.getFullYear()}`)
      .replaceAll('{date_long_pretty}', `${short}, ${date.getFullYear()}`)
      .replaceAll('{date_long}', `${short}, ${date.getFullYear()}`)
      .replaceAll('{date}', `${short}, ${date.getFullYear()}`)
      .replaceAll('{date_num}', `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`);
    return /\{[a-z_]+\}/.test(shown) ? fallback : shown;
  },
};

function tsNumber(ts) {
  return Number(ts);
}

function clockTime(ts) {
  const date = new Date(tsNumber(ts) * 1000);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function author(item, ephemeral) {
  if (ephemeral && item.source === 'slackbot') return { name: 'Slackbot', app: false, initial: 'S' };
  if (item.bot_id) return { name: state.bot.name, app: true, initial: 'E' };
  const name = context.userName(item.user ?? '') ?? item.user ?? 'someone';
  return { name, app: false, initial: name.slice(0, 1).toUpperCase() };
}

function messageHtml(item, ephemeral) {
  const who = author(item, ephemeral);
  const badge = who.app ? '<span class="app-badge">APP</span>' : '';
  const edited = item.edited ? '<span class="edited">(edited)</span>' : '';
  const note = ephemeral ? '<div class="ephemeral-note">👁 Only visible to you</div>' : '';
  return (
    `<div class="message${ephemeral ? ' ephemeral' : ''}" data-ts="${escapeHtml(item.ts)}" data-kind="${ephemeral ? 'ephemeral' : 'message'}">` +
    `<div class="avatar${who.app ? ' avatar-app' : ''}" aria-hidden="true">${escapeHtml(who.initial)}</div>` +
    '<div class="message-main">' +
    `<div class="message-meta"><span class="author">${escapeHtml(who.name)}</span>${badge}` +
    `<time class="message-time">${escapeHtml(clockTime(item.ts))}</time>${edited}</div>` +
    `${note}<div class="message-body">${messageBodyToHtml(item, context)}</div>` +
    '</div></div>'
  );
}

function isTopLevel(item) {
  return item.thread_ts === undefined || item.thread_ts === item.ts;
}

function render() {
  const stickToBottom = messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 80;
  const visibleEphemerals = [...state.ephemerals.values()].filter((item) => item.user === state.user);
  const entries = [
    ...[...state.messages.values()].map((item) => ({ item, ephemeral: false })),
    ...visibleEphemerals.map((item) => ({ item, ephemeral: true })),
  ].sort((a, b) => tsNumber(a.item.ts) - tsNumber(b.item.ts));
  const replies = new Map();
  for (const entry of entries) {
    if (isTopLevel(entry.item)) continue;
    const list = replies.get(entry.item.thread_ts) ?? [];
    list.push(entry);
    replies.set(entry.item.thread_ts, list);
  }
  let html = '';
  for (const entry of entries) {
    if (!isTopLevel(entry.item)) continue;
    html += messageHtml(entry.item, entry.ephemeral);
    const thread = replies.get(entry.item.ts);
    if (thread) {
      html +=
        `<div class="thread" data-thread-ts="${escapeHtml(entry.item.ts)}">` +
        `<div class="thread-count">${thread.length} ${thread.length === 1 ? 'reply' : 'replies'}</div>` +
        thread.map((reply) => messageHtml(reply.item, reply.ephemeral)).join('') +
        '</div>';
    }
  }
  // Replies whose parent is not in the channel (deleted) still show, at the end.
  for (const [threadTs, thread] of replies) {
    if (state.messages.has(threadTs) || state.ephemerals.has(threadTs)) continue;
    html += `<div class="thread orphan">${thread.map((reply) => messageHtml(reply.item, reply.ephemeral)).join('')}</div>`;
  }
  if (!html) {
    html =
      '<div class="empty">Nothing here yet. Type <code>/ecs-exec demo/web -- uname -a</code> below, or pick one under “Try”.</div>';
  }
  messagesEl.innerHTML = html;
  if (stickToBottom) messagesEl.scrollTop = messagesEl.scrollHeight;
  renderModal();
  home.render();
}

let shownModalKey = '';

function renderModal() {
  const open = [...state.views.values()].filter((view) => view.state === 'open' && view.user === state.user);
  const top = open.at(-1);
  const key = top ? `${top.id}:${top.hash}:${JSON.stringify(top.errors ?? {})}` : '';
  if (key === shownModalKey) return;
  shownModalKey = key;
  if (!top) {
    modalRoot.hidden = true;
    modalRoot.innerHTML = '';
    return;
  }
  // Slack keeps what was typed when a view is shown again with new errors; so does the page: values of the same view
  // are carried over by block and action id, and the field that had the focus keeps it.
  const previous = modalRoot.querySelector('form.modal');
  const typed = new Map();
  let focused;
  if (previous && previous.dataset.viewId === top.id) {
    for (const field of previous.querySelectorAll('[data-block-id][data-action-id]')) {
      const fieldKey = `${field.dataset.blockId}\u0000${field.dataset.actionId}`;
      typed.set(fieldKey, field.value);
      if (field === document.activeElement) focused = fieldKey;
    }
  }
  modalRoot.innerHTML = viewToHtml(top, context);
  modalRoot.hidden = false;
  let focus;
  for (const field of modalRoot.querySelectorAll('[data-block-id][data-action-id]')) {
    const fieldKey = `${field.dataset.blockId}\u0000${field.dataset.actionId}`;
    if (typed.has(fieldKey)) field.value = typed.get(fieldKey);
    if (fieldKey === focused) focus = field;
  }
  (focus ?? modalRoot.querySelector('input, select, textarea'))?.focus();
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function applySnapshot(snapshot) {
  state.people = snapshot.people;
  state.usergroups = new Map(snapshot.usergroups.map((group) => [group.id, group.handle]));
  state.bot = snapshot.bot;
  state.channel = snapshot.channel;
  state.messages = new Map(snapshot.messages.map((item) => [item.ts, item]));
  state.ephemerals = new Map(snapshot.ephemerals.map((item) => [item.ts, item]));
  state.views = new Map(snapshot.views.map((view) => [view.id, view]));
  $('channel-name').textContent = `# ${snapshot.channel.name}`;
  $('channel-title').textContent = `# ${snapshot.channel.name}`;
  $('policy-name').textContent = `Policy: ${snapshot.policy}`;
  if (!state.people.some((person) => person.id === state.user)) state.user = state.people[0]?.id ?? '';
  renderSwitcher();
  shownModalKey = '';
  home.applySnapshot(snapshot);
  scheduleRender();
}

function applyChange(change) {
  if (home.apply(change)) return scheduleRender();
  switch (change.kind) {
    case 'message_posted':
    case 'message_updated':
      state.messages.set(change.message.ts, change.message);
      break;
    case 'message_deleted':
      state.messages.delete(change.message.ts);
      break;
    case 'ephemeral_posted':
    case 'ephemeral_updated':
      state.ephemerals.set(change.ephemeral.ts, change.ephemeral);
      break;
    case 'ephemeral_deleted':
      state.ephemerals.delete(change.ephemeral.ts);
      break;
    case 'view_opened':
    case 'view_updated':
    case 'view_pushed':
    case 'view_closed':
      state.views.set(change.view.id, change.view);
      break;
    default:
      return;
  }
  scheduleRender();
}

function renderSwitcher() {
  switcher.innerHTML = state.people
    .map(
      (person) =>
        `<option value="${escapeHtml(person.id)}"${person.id === state.user ? ' selected' : ''}>` +
        `${escapeHtml(person.name)} (${escapeHtml(person.role)})</option>`,
    )
    .join('');
  const current = state.people.find((person) => person.id === state.user);
  $('person-summary').textContent = current ? current.summary : '';
  document.body.dataset.actingAs = current?.name ?? '';
}

switcher.addEventListener('change', () => {
  state.user = switcher.value;
  localStorage.setItem('ecs-exec-playground-user', state.user);
  renderSwitcher();
  shownModalKey = '';
  home.userChanged();
  scheduleRender();
});

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  if (answer.failure) throw new Error(`the bot did not answer in time (${answer.failure})`);
  return answer;
}

function showStatus(text, isError = false) {
  statusEl.textContent = text;
  statusEl.dataset.error = isError ? 'true' : 'false';
}

const home = createHomeTab({ state, context, post, showStatus });

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  if (text.startsWith('/') && !/^\/ecs-exec(\s|$)/.test(text)) {
    showStatus(`${text.split(/\s/)[0]} is not a command here: this workspace has /ecs-exec.`, true);
    return;
  }
  state.history.push(text);
  state.historyIndex = -1;
  input.value = '';
  showStatus('');
  try {
    if (text.startsWith('/ecs-exec')) await post('/api/slash', { user: state.user, text });
    else await post('/api/message', { user: state.user, text });
  } catch (error) {
    showStatus(String(error.message ?? error), true);
  }
});

input.addEventListener('keydown', (event) => {
  if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
  if (state.history.length === 0) return;
  event.preventDefault();
  const last = state.history.length - 1;
  if (event.key === 'ArrowUp') {
    state.historyIndex = state.historyIndex === -1 ? last : Math.max(0, state.historyIndex - 1);
  } else {
    state.historyIndex = state.historyIndex === -1 || state.historyIndex >= last ? -1 : state.historyIndex + 1;
  }
  input.value = state.historyIndex === -1 ? '' : state.history[state.historyIndex];
});

for (const example of document.querySelectorAll('.example')) {
  example.addEventListener('click', () => {
    input.value = example.dataset.command ?? '';
    input.focus();
  });
}

messagesEl.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action-id]');
  if (!button) return;
  const message = button.closest('.message');
  if (!message) return;
  button.disabled = true;
  try {
    await post('/api/click', {
      user: state.user,
      ts: message.dataset.ts,
      actionId: button.dataset.actionId,
      ...(button.dataset.value ? { value: button.dataset.value } : {}),
    });
    showStatus('');
  } catch (error) {
    showStatus(String(error.message ?? error), true);
  } finally {
    button.disabled = false;
  }
});

modalRoot.addEventListener('click', async (event) => {
  if (!event.target.closest('.modal-close')) return;
  const form = modalRoot.querySelector('form.modal');
  if (!form) return;
  try {
    await post('/api/close', { user: state.user, viewId: form.dataset.viewId });
  } catch (error) {
    showStatus(String(error.message ?? error), true);
  }
});

modalRoot.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target.closest('form.modal');
  if (!form) return;
  const values = {};
  for (const field of form.querySelectorAll('[data-block-id][data-action-id]')) {
    const blockId = field.dataset.blockId;
    values[blockId] = { ...(values[blockId] ?? {}), [field.dataset.actionId]: field.value };
  }
  const submit = form.querySelector('.modal-submit');
  if (submit) submit.disabled = true;
  try {
    await post('/api/submit', { user: state.user, viewId: form.dataset.viewId, values });
  } catch (error) {
    showStatus(String(error.message ?? error), true);
  } finally {
    if (submit) submit.disabled = false;
  }
});

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !modalRoot.hidden) modalRoot.querySelector('.modal-close')?.click();
});

function connect() {
  const connection = $('connection');
  const events = new EventSource('/api/events');
  events.addEventListener('snapshot', (event) => {
    applySnapshot(JSON.parse(event.data));
    connection.dataset.state = 'live';
    connection.textContent = 'live';
  });
  events.addEventListener('change', (event) => applyChange(JSON.parse(event.data)));
  events.addEventListener('error', () => {
    connection.dataset.state = 'reconnecting';
    connection.textContent = 'reconnecting…';
  });
}

connect();
input.focus();
