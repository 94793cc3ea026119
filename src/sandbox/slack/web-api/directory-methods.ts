import type { JsonObject } from '../types.js';
import { type MethodResult, stringArg, type WorkspaceState } from '../workspace-state.js';
import type { MethodTable } from './method-table.js';

/** Who and where: `auth.test`, `users.*`, `usergroups.*` and `conversations.*`. */
export class DirectoryMethods {
  constructor(private readonly ws: WorkspaceState) {}

  table(): MethodTable {
    return {
      'auth.test': () => this.authTest(),
      'users.info': (args) => this.usersInfo(args),
      'usergroups.users.list': (args) => this.usergroupUsers(args),
      'usergroups.list': (args) => this.usergroupsList(args),
      'conversations.info': (args) => this.conversationsInfo(args),
    };
  }

  private authTest(): MethodResult {
    const id = this.ws.options.identity;
    return {
      ok: true,
      url: `https://${id.teamDomain}.slack.com/`,
      team: id.teamName,
      user: id.botName,
      team_id: id.teamId,
      user_id: id.botUserId,
      bot_id: id.botId,
      is_enterprise_install: false,
    };
  }

  private usersInfo(args: JsonObject): MethodResult {
    const id = stringArg(args['user']);
    const user = id === undefined ? undefined : this.ws.users.get(id);
    if (!user) return { ok: false, error: 'user_not_found' };
    const realName = user.real_name ?? user.name;
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: user.team_id ?? this.ws.options.identity.teamId,
        name: user.name,
        deleted: user.deleted ?? false,
        real_name: realName,
        tz: user.tz ?? 'Europe/London',
        profile: { real_name: realName, display_name: user.name, real_name_normalized: realName },
        is_admin: user.is_admin ?? false,
        is_owner: false,
        is_bot: user.is_bot ?? false,
        is_restricted: user.is_restricted ?? false,
        is_ultra_restricted: user.is_ultra_restricted ?? false,
        is_app_user: false,
        updated: Math.floor(this.ws.options.clock.now() / 1000),
      },
    };
  }

  private usergroupUsers(args: JsonObject): MethodResult {
    const id = stringArg(args['usergroup']);
    const group = id === undefined ? undefined : this.ws.usergroups.get(id);
    if (!group) return { ok: false, error: 'no_such_subteam' };
    return { ok: true, users: [...group.users] };
  }

  private usergroupsList(args: JsonObject): MethodResult {
    const includeUsers = args['include_users'] === true || args['include_users'] === 'true';
    return {
      ok: true,
      usergroups: [...this.ws.usergroups.values()].map((group) => ({
        id: group.id,
        team_id: this.ws.options.identity.teamId,
        is_usergroup: true,
        name: group.name ?? group.handle,
        handle: group.handle,
        description: '',
        user_count: group.users.length,
        ...(includeUsers ? { users: [...group.users] } : {}),
      })),
    };
  }

  private conversationsInfo(args: JsonObject): MethodResult {
    const channel = this.ws.channels.get(stringArg(args['channel']) ?? '');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    return {
      ok: true,
      channel: {
        id: channel.id,
        name: channel.name,
        is_channel: !channel.is_private,
        is_group: channel.is_private,
        is_im: false,
        is_private: channel.is_private,
        is_archived: false,
        is_member: true,
        created: 1_700_000_000,
      },
    };
  }
}
