import type { WebClient } from '@slack/web-api';
import type { UserGroupResolver } from '../policy/user-group-resolver-port.js';

/** `usergroups.users.list` behind the policy's port; wrap it in the caching resolver (≤ 60 s). */
export class SlackUserGroupResolver implements UserGroupResolver {
  constructor(private readonly client: WebClient) {}

  async usersOf(usergroupId: string): Promise<readonly string[]> {
    const response = await this.client.usergroups.users.list({ usergroup: usergroupId });
    return response.users ?? [];
  }
}
