import type { PolicyConfig } from './policy-config.js';
import type { UserGroupResolver } from './user-group-resolver-port.js';

/** A Slack user as the policy sees them: their ID and the Slack user groups (S…) they belong to. */
export interface PolicyUser {
  userId: string;
  userGroupIds: readonly string[];
}

/** Whether the user belongs to the named config group; an unknown group has no members. */
export function isGroupMember(policy: PolicyConfig, groupName: string, user: PolicyUser): boolean {
  const group = policy.groups[groupName];
  if (!group) return false;
  if (group.users.includes('*') || group.users.includes(user.userId)) return true;
  // Loops rather than callbacks: every rule of every evaluation asks this.
  for (const id of group.usergroups) if (user.userGroupIds.includes(id)) return true;
  return false;
}

/** Whether the user belongs to at least one of the named config groups. */
export function isMemberOfAny(policy: PolicyConfig, groupNames: readonly string[], user: PolicyUser): boolean {
  for (const name of groupNames) if (isGroupMember(policy, name, user)) return true;
  return false;
}

/** Every Slack user group ID the config mentions; the only ones worth resolving. */
export function referencedUserGroupIds(policy: PolicyConfig): string[] {
  return [...new Set(Object.values(policy.groups).flatMap((group) => group.usergroups))];
}

/** The config's Slack user groups that contain `userId`, looked up through the (caching) resolver. */
export async function userGroupIdsOf(
  policy: PolicyConfig,
  resolver: UserGroupResolver,
  userId: string,
): Promise<string[]> {
  const ids = referencedUserGroupIds(policy);
  const members = await Promise.all(ids.map((id) => resolver.usersOf(id)));
  return ids.filter((_id, index) => members[index]?.includes(userId));
}

/** What an approval needs: how many distinct people from which groups, and for how long it may wait. */
export interface ApprovalRequirement {
  approverGroups: string[];
  count: number;
  /** Whether the requester's own approval counts. */
  selfApproval: boolean;
  ttlMs: number;
}

/** Whether `approver` may approve a request of `requesterId` under `requirement`, and why not. */
export function approverEligibility(
  policy: PolicyConfig,
  requirement: ApprovalRequirement,
  approver: PolicyUser,
  requesterId: string,
): { eligible: true } | { eligible: false; reason: string } {
  if (approver.userId === requesterId && !requirement.selfApproval) {
    return { eligible: false, reason: 'you requested this, and this rule does not allow approving your own request' };
  }
  if (!isMemberOfAny(policy, requirement.approverGroups, approver)) {
    return { eligible: false, reason: `only members of ${requirement.approverGroups.join(', ')} may approve this` };
  }
  return { eligible: true };
}

/**
 * The people who could approve: explicit user IDs plus the members of the Slack user groups, minus the requester
 * unless self-approval is allowed. `anyone` is true when a group lists "*".
 */
export async function eligibleApprovers(
  policy: PolicyConfig,
  requirement: ApprovalRequirement,
  resolver: UserGroupResolver,
  requesterId: string,
): Promise<{ users: string[]; anyone: boolean }> {
  const users = new Set<string>();
  let anyone = false;
  for (const name of requirement.approverGroups) {
    const group = policy.groups[name];
    if (!group) continue;
    for (const user of group.users) {
      if (user === '*') anyone = true;
      else users.add(user);
    }
    for (const members of await Promise.all(group.usergroups.map((id) => resolver.usersOf(id)))) {
      for (const user of members) users.add(user);
    }
  }
  if (!requirement.selfApproval) users.delete(requesterId);
  return { users: [...users].sort(), anyone };
}
