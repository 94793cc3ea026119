import { randomBytes } from 'node:crypto';

/** Who signed a request: the account, the ARN AWS would name in an AccessDenied message, and any SourceIdentity. */
export interface Principal {
  accessKeyId: string;
  account: string;
  arn: string;
  /** Set for credentials from AssumeRole: the role and the SourceIdentity they carry into CloudTrail. */
  roleArn?: string;
  roleSessionName?: string;
  sourceIdentity?: string;
  expiresAt?: number;
}

/** The caller of one API request, as the handlers see it. */
export interface CallContext {
  principal: Principal;
  region: string;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function accessKeyId(prefix: 'ASIA' | 'AKIA'): string {
  const bytes = randomBytes(16);
  let id = prefix;
  for (const byte of bytes) id += KEY_ALPHABET[byte % KEY_ALPHABET.length];
  return id;
}

/**
 * Maps access keys to principals. Unknown keys (the dummy static credentials of tests and the playground) belong to
 * the default account; keys minted by AssumeRole belong to the role's account and carry its SourceIdentity.
 */
export class Principals {
  private readonly byKey = new Map<string, Principal>();

  /** `staticRoleArn`: static keys are a session of this role (as an ECS task role's are), not `user/sandbox`. */
  constructor(
    private readonly defaultAccount: string,
    private readonly staticRoleArn?: string,
  ) {}

  resolve(key: string): Principal {
    const issued = this.byKey.get(key);
    if (issued) return issued;
    if (this.staticRoleArn) {
      const account = this.staticRoleArn.split(':')[4] ?? this.defaultAccount;
      const roleName = this.staticRoleArn.split('/').pop() ?? 'role';
      return {
        accessKeyId: key,
        account,
        arn: `arn:aws:sts::${account}:assumed-role/${roleName}/sandbox`,
        roleArn: this.staticRoleArn,
      };
    }
    return { accessKeyId: key, account: this.defaultAccount, arn: `arn:aws:iam::${this.defaultAccount}:user/sandbox` };
  }

  /** Mints temporary credentials for an assumed role. */
  issue(role: {
    roleArn: string;
    account: string;
    roleSessionName: string;
    sourceIdentity?: string;
    durationSeconds: number;
  }): Principal & { secretAccessKey: string; sessionToken: string; expiresAt: number } {
    const roleName = role.roleArn.split('/').pop() ?? 'role';
    const principal = {
      accessKeyId: accessKeyId('ASIA'),
      account: role.account,
      arn: `arn:aws:sts::${role.account}:assumed-role/${roleName}/${role.roleSessionName}`,
      roleArn: role.roleArn,
      roleSessionName: role.roleSessionName,
      ...(role.sourceIdentity !== undefined ? { sourceIdentity: role.sourceIdentity } : {}),
      expiresAt: Date.now() + role.durationSeconds * 1000,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `sandbox-session/${randomBytes(48).toString('base64')}`,
    };
    this.byKey.set(principal.accessKeyId, principal);
    return principal;
  }
}
