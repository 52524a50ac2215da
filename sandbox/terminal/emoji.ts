/**
 * Slack's emoji shortcodes the bot uses, and the common ones people type. A shortcode not listed
 * stays as written (`:shipit:`), as Slack shows an unknown one; so do times like `12:05:30`.
 */
export const EMOJI: Readonly<Record<string, string>> = {
  '+1': '👍',
  '-1': '👎',
  arrow_left: '⬅️',
  arrow_right: '➡️',
  arrows_counterclockwise: '🔄',
  ballot_box_with_check: '☑️',
  bar_chart: '📊',
  bell: '🔔',
  boom: '💥',
  bust_in_silhouette: '👤',
  busts_in_silhouette: '👥',
  calendar: '📅',
  clipboard: '📋',
  cloud: '☁️',
  construction: '🚧',
  double_vertical_bar: '⏸️',
  exclamation: '❗',
  eyes: '👀',
  fast_forward: '⏩',
  fire: '🔥',
  gear: '⚙️',
  grey_question: '❔',
  hammer_and_wrench: '🛠️',
  heavy_check_mark: '✔️',
  heavy_exclamation_mark: '❗',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  information_source: 'ℹ️',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  link: '🔗',
  lock: '🔒',
  memo: '📝',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  octagonal_sign: '🛑',
  page_facing_up: '📄',
  pause_button: '⏸️',
  question: '❓',
  red_circle: '🔴',
  repeat: '🔁',
  ring_buoy: '🛟',
  rocket: '🚀',
  rotating_light: '🚨',
  sos: '🆘',
  sparkles: '✨',
  speech_balloon: '💬',
  stopwatch: '⏱️',
  tada: '🎉',
  thumbsdown: '👎',
  thumbsup: '👍',
  unlock: '🔓',
  warning: '⚠️',
  white_check_mark: '✅',
  white_small_square: '▫️',
  wrench: '🔧',
  x: '❌',
  zap: '⚡',
};

/** Replaces the known `:shortcode:`s of a text with their emoji. */
export function replaceEmoji(text: string): string {
  const shortcode = /:([a-z0-9_+-]+):/g;
  let out = '';
  let from = 0;
  for (let m = shortcode.exec(text); m; m = shortcode.exec(text)) {
    const emoji = EMOJI[m[1] ?? ''];
    if (emoji) {
      out += text.slice(from, m.index) + emoji;
      from = shortcode.lastIndex;
    } else {
      // Not a shortcode: its closing colon may open the next one (`12:05:tada:`).
      shortcode.lastIndex = m.index + 1;
    }
  }
  return out + text.slice(from);
}
