import {
  BASE64,
  fakeChars,
  HEX,
  LOWER_ALNUM,
  prefixedToken,
  type SecretRuleSpec,
  s,
  UPPER_ALNUM,
} from './rule-spec.js';

/** Cloud and infrastructure providers: AWS, Google Cloud, Azure, Alibaba, DigitalOcean, HashiCorp, and others. */

const LABEL_GAP = String.raw`["']?\s{0,8}[:=]\s{0,8}["']?`;
const VALUE_CHARS = '[A-Za-z0-9/+=%._~-]';
const AWS_SECRET = `wJalrXUtnFEMI/K7MDENG/${fakeChars(18, BASE64, 11)}`;
const AWS_ID_BODY = fakeChars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 12);

function labelled(
  id: string,
  description: string,
  labels: string,
  keyword: string,
  min: number,
  max: number,
  examples: SecretRuleSpec['examples'],
): SecretRuleSpec {
  return {
    id,
    description,
    keywords: [keyword],
    anyCase: true,
    pattern: `(?:${labels})${LABEL_GAP}(${VALUE_CHARS}{${min},${max}})`,
    partial: `(?:${labels})${LABEL_GAP}${VALUE_CHARS}*`,
    flags: 'i',
    examples,
  };
}

export const CLOUD_RULES: readonly SecretRuleSpec[] = [
  prefixedToken(
    'aws-access-key-id',
    'AWS access key id (long-term AKIA, temporary ASIA, and the other AWS id kinds)',
    ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'],
    '[A-Z0-9]{16,17}',
    {
      redact: [`aws_access_key_id = ${s(`AKIA${AWS_ID_BODY}`)}`, `"AccessKeyId": "${s(`ASIA${AWS_ID_BODY}`)}"`],
      keep: ['EURASIAN markets opened', 'AKIA is the prefix of a key id'],
    },
    {
      pattern: '(?<![A-Za-z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])',
      partial: '(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{0,15}',
    },
  ),
  labelled(
    'aws-secret-access-key',
    'AWS secret access key next to its name (credentials file, env, JSON)',
    'aws_?secret_?access_?key|secret_?access_?key|aws_?secret_?key',
    'secret',
    8,
    1024,
    {
      redact: [`aws_secret_access_key = ${s(AWS_SECRET)}`, `{"SecretAccessKey": "${s(AWS_SECRET)}"}`],
      keep: ['set aws_secret_access_key in ~/.aws/credentials'],
    },
  ),
  labelled(
    'aws-session-token',
    'AWS session token next to its name (credentials file, env, task-role JSON "Token")',
    `aws_?session_?token|aws_?security_?token|session_?token|x-amz-security-token|"token"`,
    'token',
    8,
    4096,
    {
      redact: [
        `AWS_SESSION_TOKEN=${s(`IQoJb3JpZ2luX2Vj${fakeChars(120, BASE64, 13)}`)}`,
        `"Token" : "${s(`IQoJb3JpZ2lu${fakeChars(64, BASE64, 14)}`)}"`,
      ],
      keep: ['refresh the session token with aws sso login'],
    },
  ),
  {
    ...labelled(
      'aws-access-key-id-labelled',
      'AWS access key id next to its name, whatever its shape',
      'aws_?access_?key_?id|access_?key_?id',
      'key',
      16,
      128,
      {
        redact: [`AWS_ACCESS_KEY_ID=${s('LOCALSTACKTESTKEYID01')}`],
        keep: ['missing access_key_id in profile'],
      },
    ),
    kindOf: () => 'aws-access-key-id',
  },
  prefixedToken('aws-bedrock-api-key', 'Amazon Bedrock long-lived API key', ['ABSK'], '[A-Za-z0-9+/]{109,269}={0,2}', {
    redact: [`BEDROCK_KEY=${s(`ABSK${fakeChars(120, BASE64, 15)}`)}`],
    keep: ['ABSKETCH drawing'],
  }),
  prefixedToken('gcp-api-key', 'Google Cloud / Firebase API key', ['AIza'], String.raw`[\w-]{35}`, {
    redact: [`"apiKey": "${s(`AIza${fakeChars(35, `${LOWER_ALNUM}ABCDEFGHIJKLMNOPQRSTUVWXYZ_-`, 16)}`)}"`],
    keep: ['AIzawa is a surname'],
  }),
  prefixedToken('gcp-oauth-token', 'Google OAuth access token', ['ya29.'], String.raw`[\w-]{30,1024}`, {
    redact: [`access_token: ${s(`ya29.${fakeChars(120, `${LOWER_ALNUM}ABCDEFGHIJ_-`, 17)}`)}`],
    keep: ['ya29.short'],
  }),
  {
    id: 'azure-ad-client-secret',
    description: 'Microsoft Entra ID (Azure AD) client secret',
    keywords: ['Q~'],
    pattern: String.raw`(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])`,
    examples: {
      redact: [`AZURE_CLIENT_SECRET=${s(`abc8Q~${fakeChars(34, `${LOWER_ALNUM}ABCDEFGH_~.`, 18)}`)}`],
      keep: ['Q~ is not a word'],
    },
  },
  {
    id: 'azure-sas-signature',
    description: 'Azure shared access signature (sig= in a SAS URL or token)',
    keywords: ['sig='],
    pattern: '[?&;]sig=([A-Za-z0-9%+/=]{16,256})',
    examples: {
      redact: [
        `https://acct.blob.core.windows.net/c/f?sv=2022-11-02&se=2026-12-01&sp=r&sig=${s(`${fakeChars(40, BASE64.slice(0, 62), 19)}%3D`)}`,
      ],
      keep: ['?sig=short'],
    },
  },
  {
    id: 'azure-storage-key',
    description: 'Azure storage account key or shared access key in a connection string',
    keywords: ['accountkey=', 'sharedaccesskey='],
    anyCase: true,
    pattern: '(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{20,100}={0,2})',
    flags: 'i',
    examples: {
      redact: [
        `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=${s(`${fakeChars(43, BASE64, 20)}=`)}`,
      ],
      keep: ['AccountKey=<key>'],
    },
  },
  prefixedToken('alibaba-access-key-id', 'Alibaba Cloud AccessKey id', ['LTAI'], '[A-Za-z0-9]{20}', {
    redact: [`ALIBABA_CLOUD_ACCESS_KEY_ID=${s(`LTAI${fakeChars(20, undefined, 21)}`)}`],
    keep: ['LTAIL is a word fragment'],
  }),
  prefixedToken(
    'digitalocean-token',
    'DigitalOcean personal access, OAuth and refresh tokens',
    ['dop_v1_', 'doo_v1_', 'dor_v1_'],
    '[a-f0-9]{64}',
    {
      redact: [`DIGITALOCEAN_TOKEN=${s(`dop_v1_${fakeChars(64, HEX, 22)}`)}`],
      keep: ['dop_v1_ prefix'],
    },
  ),
  prefixedToken('heroku-api-key', 'Heroku API key (v2)', ['HRKU-'], '[0-9a-zA-Z_-]{60}', {
    redact: [`HEROKU_API_KEY=${s(`HRKU-AA${fakeChars(58, undefined, 23)}`)}`],
    keep: ['HRKU-123'],
  }),
  prefixedToken(
    'flyio-token',
    'Fly.io access token',
    ['fo1_', 'fm1a_', 'fm1r_', 'fm2_'],
    String.raw`[\w+/-]{43,2048}={0,3}`,
    {
      redact: [`FLY_API_TOKEN=${s(`fo1_${fakeChars(43, undefined, 24)}`)}`],
      keep: ['fo1_short'],
    },
  ),
  prefixedToken(
    'vault-token',
    'HashiCorp Vault service and batch tokens',
    ['hvs.', 'hvb.', 'hvr.'],
    String.raw`[\w-]{24,300}`,
    {
      redact: [`VAULT_TOKEN=${s(`hvs.${fakeChars(95, undefined, 25)}`)}`],
      keep: ['hvs.short'],
    },
  ),
  prefixedToken(
    'terraform-cloud-token',
    'Terraform Cloud / HCP Terraform API token',
    ['.atlasv1.'],
    '[A-Za-z0-9_=-]{60,70}',
    {
      redact: [`token = "${s(`${fakeChars(14, LOWER_ALNUM, 26)}.atlasv1.${fakeChars(67, undefined, 27)}`)}"`],
      keep: ['.atlasv1.short'],
    },
    {
      pattern: String.raw`(?<![A-Za-z0-9])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}(?![A-Za-z0-9_=-])`,
      partial: String.raw`(?<![A-Za-z0-9])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]*`,
    },
  ),
  prefixedToken('doppler-token', 'Doppler API token', ['dp.pt.', 'dp.st.', 'dp.sa.', 'dp.ct.'], '[A-Za-z0-9]{40,44}', {
    redact: [`DOPPLER_TOKEN=${s(`dp.pt.${fakeChars(43, undefined, 28)}`)}`],
    keep: ['dp.pt.x'],
  }),
  prefixedToken('pulumi-token', 'Pulumi access token', ['pul-'], '[a-f0-9]{40}', {
    redact: [`PULUMI_ACCESS_TOKEN=${s(`pul-${fakeChars(40, HEX, 29)}`)}`],
    keep: ['pul-request'],
  }),
  prefixedToken('databricks-token', 'Databricks personal access token', ['dapi'], String.raw`[a-f0-9]{32}(?:-\d)?`, {
    redact: [`DATABRICKS_TOKEN=${s(`dapi${fakeChars(32, HEX, 30)}`)}`],
    keep: ['dapi is a word'],
  }),
  prefixedToken('scalingo-token', 'Scalingo API token', ['tk-us-'], String.raw`[\w-]{48}`, {
    redact: [`SCALINGO_API_TOKEN=${s(`tk-us-${fakeChars(48, undefined, 31)}`)}`],
    keep: ['tk-us-east'],
  }),
  prefixedToken('cloudflare-origin-ca-key', 'Cloudflare Origin CA key', ['v1.0-'], '[a-f0-9]{24}-[a-f0-9]{146}', {
    redact: [`CF_ORIGIN_KEY=${s(`v1.0-${fakeChars(24, HEX, 32)}-${fakeChars(146, HEX, 33)}`)}`],
    keep: ['version v1.0-beta'],
  }),
  prefixedToken('openshift-token', 'OpenShift user token', ['sha256~'], String.raw`[\w-]{43}`, {
    redact: [`oc login --token=${s(`sha256~${fakeChars(43, undefined, 34)}`)}`],
    keep: ['sha256:0123abcd digest'],
  }),
  prefixedToken(
    'age-secret-key',
    'age encryption secret key',
    ['AGE-SECRET-KEY-1'],
    '[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}',
    {
      redact: [s(`AGE-SECRET-KEY-1${fakeChars(58, 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 35)}`)],
      keep: ['AGE-SECRET-KEY-1 header'],
    },
  ),
  prefixedToken('dynatrace-token', 'Dynatrace API token', ['dt0c01.'], '[A-Za-z0-9]{24}\\.[A-Za-z0-9]{64}', {
    redact: [`DT_API_TOKEN=${s(`dt0c01.${fakeChars(24, UPPER_ALNUM, 36)}.${fakeChars(64, undefined, 37)}`)}`],
    keep: ['dt0c01.x'],
  }),
];
