// Runs in the browser as well as in Node: no imports, no DOM.

/** The emoji the bot writes as `:name:`, shown as characters; unknown names stay as typed. */
const EMOJI: Readonly<Record<string, string>> = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  stopwatch: '⏱️',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  warning: '⚠️',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  arrow_forward: '▶️',
  zzz: '💤',
  inbox_tray: '📥',
  checkered_flag: '🏁',
  rotating_light: '🚨',
  information_source: 'ℹ️',
  octagonal_sign: '🛑',
  '+1': '👍',
  thumbsup: '👍',
  lock: '🔒',
  key: '🔑',
  mag: '🔍',
  rocket: '🚀',
  memo: '📝',
  page_facing_up: '📄',
  aws: '☁️',
  ecs: '📦',
};

export function emoji(name: string): string | undefined {
  return EMOJI[name];
}
