import type { WebClient } from '@slack/web-api';
import type { Clock } from '../shared/clock.js';
import type { PeopleDirectory, Standing } from '../workflow/workflow-deps.js';

/** As long as group membership may be stale, and no longer. */
const CACHE_MS = 60_000;

/**
 * `users.info` behind the people port: guests (single- and multi-channel), deactivated accounts, external people
 * in a shared channel and users of another workspace never approve, even if a user group lists them. Answers are
 * cached for at most a minute; a failed lookup is not cached and counts as "cannot tell", which refuses.
 */
export class SlackPeopleDirectory implements PeopleDirectory {
  private ownTeam: Promise<string> | undefined;
  private readonly cache = new Map<string, { at: number; standing: Standing }>();

  constructor(
    private readonly client: WebClient,
    private readonly clock: Clock,
  ) {}

  async standing(userId: string): Promise<Standing> {
    const cached = this.cache.get(userId);
    if (cached && this.clock.now() - cached.at < CACHE_MS) return cached.standing;
    this.ownTeam ??= this.client.auth.test().then((answer) => answer.team_id ?? '');
    let standing: Standing;
    try {
      const [team, answer] = await Promise.all([this.ownTeam, this.client.users.info({ user: userId })]);
      const user = answer.user;
      if (!user) standing = { ok: false, reason: 'Slack does not know this user' };
      else if (user.deleted) standing = { ok: false, reason: 'the account is deactivated' };
      else if (user.is_restricted || user.is_ultra_restricted) standing = { ok: false, reason: 'guests cannot decide' };
      else if (user.is_stranger || (team && user.team_id && user.team_id !== team)) {
        standing = { ok: false, reason: 'people from other workspaces cannot decide' };
      } else standing = { ok: true };
    } catch {
      this.ownTeam = undefined;
      return { ok: false, reason: 'Slack could not confirm who you are right now; try again in a minute' };
    }
    this.cache.set(userId, { at: this.clock.now(), standing });
    return standing;
  }
}
