import type { SlackUserActions } from '../sandbox/slack/slack-actions.js';
import type { SlackStandIn } from '../sandbox/slack/stand-in.js';
import type { JsonObject } from '../sandbox/slack/types.js';

/**
 * The page's Home tab: opening it is Slack's `app_home_opened` for the acting person, and a button on it is a click
 * on their Home view, both delivered to the bot as Slack delivers them. Undefined for any other path.
 */
export function createHomeApi(
  standIn: SlackStandIn,
  actions: SlackUserActions,
  person: (value: unknown) => { id: string },
  text: (value: unknown, name: string, max: number) => string,
): (path: string, body: JsonObject) => Promise<JsonObject | undefined> {
  return async (path, body) => {
    switch (path) {
      case '/api/home/open': {
        const user = person(body['user']);
        const delivery = await actions.openHome({ user: user.id });
        return { status: delivery.status, ...(delivery.failure ? { failure: delivery.failure } : {}) };
      }
      case '/api/home/click': {
        const user = person(body['user']);
        if (!standIn.homeView(user.id)) return { status: 404, failure: 'no Home view yet' };
        const actionId = text(body['actionId'], 'actionId', 255);
        const value = body['value'] === undefined ? undefined : text(body['value'], 'value', 2000);
        const delivery = await actions.clickHomeButton({
          user: user.id,
          actionId,
          ...(value !== undefined ? { value } : {}),
        });
        return { status: delivery.status, ...(delivery.failure ? { failure: delivery.failure } : {}) };
      }
      default:
        return undefined;
    }
  };
}

/** Every playground person's Home view as last published, for the page's first render. */
export function homeViews(standIn: SlackStandIn, people: readonly { id: string }[]): JsonObject {
  const views: JsonObject = {};
  for (const { id } of people) {
    const home = standIn.homeView(id);
    if (home) views[id] = home as unknown as JsonObject;
  }
  return views;
}
