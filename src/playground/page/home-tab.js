// The bot's Home tab in the playground: opening it sends Slack's app_home_opened for the acting person, the page
// shows the view the bot published for them, and its buttons are clicks on that view. Text reaches the DOM only
// through render-blocks.js, which escapes everything.
import { blocksToHtml, escapeHtml } from '/render-blocks.js';

/**
 * Wires the Home tab into the page. `state.user` is the acting person; `post` and `showStatus` are the page's own.
 */
export function createHomeTab({ state, context, post, showStatus }) {
  const $ = (id) => document.getElementById(id);
  const pane = $('home-pane');
  const link = $('home-link');
  const channelLink = $('channel-name');
  /** user id -> the Home view last published for them */
  const homes = new Map();
  let shown = false;
  let shownKey = '';

  async function open() {
    try {
      await post('/api/home/open', { user: state.user });
      showStatus('');
    } catch (error) {
      showStatus(String(error.message ?? error), true);
    }
  }

  function show(onHome) {
    shown = onHome;
    shownKey = '';
    document.body.dataset.tab = onHome ? 'home' : 'channel';
    link.classList.toggle('active', onHome);
    channelLink.classList.toggle('active', !onHome);
    $('channel-title').textContent = onHome ? `${state.bot.name} · Home` : `# ${state.channel.name}`;
    render();
    if (onHome) void open();
  }

  function render() {
    pane.hidden = !shown;
    $('messages').hidden = shown;
    $('composer').hidden = shown;
    if (!shown) return;
    const home = homes.get(state.user);
    const key = home ? `${state.user}:${home.hash}` : `${state.user}:none`;
    if (key === shownKey) return;
    shownKey = key;
    pane.innerHTML = home
      ? `<div class="message-body">${blocksToHtml(Array.isArray(home.view.blocks) ? home.view.blocks : [], context)}</div>`
      : `<div class="empty">Opening ${escapeHtml(state.bot.name)}’s Home…</div>`;
  }

  link.addEventListener('click', () => show(true));
  channelLink.addEventListener('click', () => show(false));
  pane.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action-id]');
    if (!button) return;
    button.disabled = true;
    try {
      await post('/api/home/click', {
        user: state.user,
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

  return {
    render,
    applySnapshot(snapshot) {
      homes.clear();
      for (const [user, view] of Object.entries(snapshot.homes ?? {})) homes.set(user, view);
      shownKey = '';
    },
    /** A `home_published` change; true when it was one. */
    apply(change) {
      if (change.kind !== 'home_published') return false;
      homes.set(change.view.user, change.view);
      return true;
    },
    /** The acting person changed: their own Home is opened, as Slack shows each person theirs. */
    userChanged() {
      shownKey = '';
      if (shown) void open();
    },
  };
}
