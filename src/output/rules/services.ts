import { BASE64, fakeChars, HEX, LOWER_ALNUM, prefixedToken, type SecretRuleSpec, s } from './rule-spec.js';

/** AI, observability and other SaaS: OpenAI, Anthropic, Hugging Face, Grafana, New Relic, Sentry, 1Password, ... */

export const SERVICE_RULES: readonly SecretRuleSpec[] = [
  {
    id: 'openai-api-key',
    description: 'OpenAI API key (project, service account, admin and legacy keys)',
    keywords: ['sk-proj-', 'sk-svcacct-', 'sk-admin-', 'T3BlbkFJ'],
    pattern:
      '(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,300}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})(?![A-Za-z0-9_-])',
    partial: '(?<![A-Za-z0-9_-])sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]*',
    examples: {
      redact: [
        `OPENAI_API_KEY=${s(`sk-proj-${fakeChars(74, undefined, 110)}T3BlbkFJ${fakeChars(74, undefined, 111)}`)}`,
        `key ${s(`sk-${fakeChars(20, undefined, 112)}T3BlbkFJ${fakeChars(20, undefined, 113)}`)}`,
      ],
      keep: ['sk-proj- prefix'],
    },
  },
  prefixedToken(
    'anthropic-api-key',
    'Anthropic API and admin keys',
    ['sk-ant-'],
    String.raw`(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{80,120}`,
    {
      redact: [`ANTHROPIC_API_KEY=${s(`sk-ant-api03-${fakeChars(93, undefined, 114)}AA`)}`],
      keep: ['sk-ant- prefix'],
    },
  ),
  prefixedToken(
    'huggingface-token',
    'Hugging Face access and organisation tokens',
    ['hf_', 'api_org_'],
    '[a-zA-Z]{34}',
    {
      redact: [`HF_TOKEN=${s(`hf_${fakeChars(34, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 115)}`)}`],
      keep: ['hf_transfer enabled'],
    },
  ),
  prefixedToken('perplexity-api-key', 'Perplexity API key', ['pplx-'], '[a-zA-Z0-9]{48}', {
    redact: [`PPLX_API_KEY=${s(`pplx-${fakeChars(48, undefined, 116)}`)}`],
    keep: ['pplx-x'],
  }),
  prefixedToken(
    'grafana-token',
    'Grafana Cloud API token and service account token',
    ['glc_', 'glsa_'],
    '[A-Za-z0-9+/_]{32,400}={0,3}',
    {
      redact: [`GRAFANA_TOKEN=${s(`glsa_${fakeChars(32, undefined, 117)}_${fakeChars(8, HEX, 118)}`)}`],
      keep: ['glc_x'],
    },
  ),
  prefixedToken('grafana-api-key', 'Grafana API key (legacy, base64 JSON)', ['eyJrIjoi'], '[A-Za-z0-9]{70,400}={0,3}', {
    redact: [`GF_KEY=${s(`eyJrIjoi${fakeChars(80, undefined, 119)}`)}`],
    keep: ['eyJrIjoi'],
  }),
  prefixedToken(
    'new-relic-key',
    'New Relic user, ingest, insights and browser keys',
    ['NRAK-', 'NRII-', 'NRJS-', 'NRIQ-', 'NRRA-'],
    '[A-Za-z0-9]{19,32}',
    {
      redact: [`NEW_RELIC_API_KEY=${s(`NRAK-${fakeChars(27, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 120)}`)}`],
      keep: ['NRAK-1'],
    },
  ),
  {
    id: 'new-relic-license-key',
    description: 'New Relic license key (40 characters ending NRAL)',
    keywords: ['NRAL'],
    pattern: '(?<![A-Za-z0-9])[a-f0-9]{36}NRAL(?![A-Za-z0-9])',
    examples: { redact: [`NEW_RELIC_LICENSE_KEY=${s(`${fakeChars(36, HEX, 121)}NRAL`)}`], keep: ['NRAL'] },
  },
  prefixedToken(
    'sentry-token',
    'Sentry user and organisation auth tokens',
    ['sntryu_', 'sntrys_'],
    '[A-Za-z0-9+/=_]{64,400}',
    {
      redact: [`SENTRY_AUTH_TOKEN=${s(`sntryu_${fakeChars(64, HEX, 122)}`)}`],
      keep: ['sntryu_ prefix'],
    },
  ),
  {
    id: 'datadog-api-key',
    description: 'Datadog API and application keys next to their names',
    keywords: ['dd_api_key', 'dd_app_key', 'datadog_api_key', 'datadog_app_key', 'dd-api-key', 'dd-application-key'],
    anyCase: true,
    pattern: String.raw`(?:dd|datadog)[_-](?:api|app|application)[_-]key["']?\s{0,8}[:=]\s{0,8}["']?([a-f0-9]{32}|[a-f0-9]{40})(?![A-Za-z0-9])`,
    flags: 'i',
    examples: {
      redact: [`DD_API_KEY=${s(fakeChars(32, HEX, 123))}`, `DD-API-KEY: ${s(fakeChars(32, HEX, 124))}`],
      keep: ['DD_API_KEY=<from secrets manager>'],
    },
  },
  prefixedToken('1password-token', '1Password service account token', ['ops_eyJ'], '[a-zA-Z0-9+/]{250,2000}={0,3}', {
    redact: [`OP_SERVICE_ACCOUNT_TOKEN=${s(`ops_eyJ${fakeChars(260, BASE64, 125)}`)}`],
    keep: ['ops_eyJ'],
  }),
  {
    id: '1password-secret-key',
    description: '1Password account secret key',
    keywords: ['A3-'],
    pattern:
      '(?<![A-Za-z0-9])A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}(?![A-Za-z0-9])',
    examples: { redact: [`secret key: ${s('A3-ABC123-DEF456GHI78-JKL90-MNO12-PQR34')}`], keep: ['A3-paper size'] },
  },
  prefixedToken('notion-token', 'Notion integration token', ['ntn_', 'secret_'], '[A-Za-z0-9]{43,46}', {
    redact: [`NOTION_TOKEN=${s(`ntn_${fakeChars(11, '0123456789', 126)}${fakeChars(35, undefined, 127)}`)}`],
    keep: ['secret_name=db'],
  }),
  prefixedToken('frameio-token', 'Frame.io API token', ['fio-u-'], '[A-Za-z0-9_=-]{64}', {
    redact: [`FRAMEIO_TOKEN=${s(`fio-u-${fakeChars(64, undefined, 128)}`)}`],
    keep: ['fio-u-x'],
  }),
  prefixedToken('clickhouse-cloud-key', 'ClickHouse Cloud API secret key', ['4b1d'], '[A-Za-z0-9]{38}', {
    redact: [`CLICKHOUSE_KEY_SECRET=${s(`4b1d${fakeChars(38, undefined, 129)}`)}`],
    keep: ['4b1d0 hex'],
  }),
  prefixedToken(
    'mapbox-secret-token',
    'Mapbox secret access token',
    ['sk.eyJ'],
    String.raw`[A-Za-z0-9_-]{50,300}\.[A-Za-z0-9_-]{20,100}`,
    {
      redact: [
        `MAPBOX_TOKEN=${s(`sk.eyJ${fakeChars(60, `${LOWER_ALNUM}ABCDEF`, 130)}.${fakeChars(22, undefined, 131)}`)}`,
      ],
      keep: ['sk.eyJ'],
    },
  ),
  {
    id: 'maxmind-license-key',
    description: 'MaxMind license key',
    keywords: ['_mmk'],
    pattern: '(?<![A-Za-z0-9])[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk(?![A-Za-z0-9])',
    examples: {
      redact: [`MAXMIND_LICENSE_KEY=${s(`${fakeChars(6, undefined, 132)}_${fakeChars(29, undefined, 133)}_mmk`)}`],
      keep: ['file_mmk'],
    },
  },
  prefixedToken('settlemint-token', 'SettleMint access tokens', ['sm_aat_', 'sm_pat_', 'sm_sat_'], '[a-zA-Z0-9]{16}', {
    redact: [`SETTLEMINT_TOKEN=${s(`sm_pat_${fakeChars(16, undefined, 134)}`)}`],
    keep: ['sm_pat_x'],
  }),
];
