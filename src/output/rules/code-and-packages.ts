import { fakeChars, HEX, LOWER_ALNUM, prefixedToken, type SecretRuleSpec, s } from './rule-spec.js';

/** Code hosting, CI and package registries: GitHub, GitLab, Atlassian, npm, PyPI, RubyGems, Docker Hub, ... */

const ALNUM36 = (seed: number) => fakeChars(36, undefined, seed);

export const CODE_AND_PACKAGE_RULES: readonly SecretRuleSpec[] = [
  prefixedToken(
    'github-token',
    'GitHub personal access, OAuth, app and refresh tokens',
    ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    '[0-9a-zA-Z]{36}',
    {
      redact: [
        `GITHUB_TOKEN=${s(`ghp_${ALNUM36(40)}`)}`,
        `git clone https://x-access-token:${s(`ghs_${ALNUM36(41)}`)}@github.com/o/r.git`,
      ],
      keep: ['ghp_ tokens start like this'],
    },
  ),
  prefixedToken(
    'github-fine-grained-pat',
    'GitHub fine-grained personal access token',
    ['github_pat_'],
    String.raw`\w{82}`,
    {
      redact: [`token: ${s(`github_pat_${fakeChars(82, undefined, 42)}`)}`],
      keep: ['github_pat_ is a prefix'],
    },
  ),
  prefixedToken(
    'gitlab-token',
    'GitLab personal, deploy, runner, CI job, feed, SCIM, OAuth and agent tokens',
    [
      'glpat-',
      'gldt-',
      'glrt-',
      'glptt-',
      'glcbt-',
      'glft-',
      'glimt-',
      'glagent-',
      'gloas-',
      'glsoat-',
      'glffct-',
      'GR1348941',
    ],
    String.raw`[\w.-]{20,300}`,
    {
      redact: [
        `CI_TOKEN=${s(`glpat-${fakeChars(20, undefined, 43)}`)}`,
        `runner token ${s(`glrt-${fakeChars(20, undefined, 44)}`)}`,
      ],
      keep: ['glpat-short'],
    },
  ),
  {
    id: 'atlassian-api-token',
    description: 'Atlassian (Jira, Confluence, Bitbucket) API token',
    keywords: ['ATATT3', 'ATCTT3', 'ATBB'],
    pattern: '(?<![A-Za-z0-9_])(?:ATATT3|ATCTT3|ATBB)[A-Za-z0-9_=-]{24,200}(?![A-Za-z0-9_=-])',
    examples: {
      redact: [`JIRA_API_TOKEN=${s(`ATATT3xFfGF0${fakeChars(180, undefined, 45)}`)}`],
      keep: ['ATATT3 short'],
    },
  },
  prefixedToken('npm-token', 'npm access token', ['npm_'], '[A-Za-z0-9]{36}', {
    redact: [`//registry.npmjs.org/:_authToken=${s(`npm_${ALNUM36(46)}`)}`],
    keep: ['npm_config_cache=/tmp'],
  }),
  prefixedToken('pypi-token', 'PyPI upload token', ['pypi-AgEIcHlwaS5vcmc'], String.raw`[\w-]{50,1000}`, {
    redact: [`password = ${s(`pypi-AgEIcHlwaS5vcmc${fakeChars(70, undefined, 47)}`)}`],
    keep: ['pypi-AgEIcHlwaS5vcmc'],
  }),
  prefixedToken('rubygems-token', 'RubyGems API key', ['rubygems_'], '[a-f0-9]{48}', {
    redact: [`GEM_HOST_API_KEY=${s(`rubygems_${fakeChars(48, HEX, 48)}`)}`],
    keep: ['rubygems_version 3.4'],
  }),
  prefixedToken(
    'docker-hub-token',
    'Docker Hub personal access token',
    ['dckr_pat_', 'dckr_oat_'],
    String.raw`[\w-]{27,64}`,
    {
      redact: [`echo ${s(`dckr_pat_${fakeChars(27, undefined, 49)}`)} | docker login -u ci --password-stdin`],
      keep: ['dckr_pat_ prefix'],
    },
  ),
  prefixedToken('clojars-token', 'Clojars deploy token', ['CLOJARS_'], '[a-z0-9]{60}', {
    redact: [`CLOJARS_PASSWORD=${s(`CLOJARS_${fakeChars(60, LOWER_ALNUM, 50)}`)}`],
    keep: ['CLOJARS_USERNAME=ci'],
  }),
  prefixedToken(
    'artifactory-token',
    'JFrog Artifactory API key and reference token',
    ['AKCp', 'cmVmd'],
    '[A-Za-z0-9]{59,69}',
    {
      redact: [`ARTIFACTORY_API_KEY=${s(`AKCp${fakeChars(69, undefined, 51)}`)}`],
      keep: ['AKCp is short'],
    },
  ),
  prefixedToken('postman-api-key', 'Postman API key', ['PMAK-'], '[a-f0-9]{24}-[a-f0-9]{34}', {
    redact: [`POSTMAN_API_KEY=${s(`PMAK-${fakeChars(24, HEX, 52)}-${fakeChars(34, HEX, 53)}`)}`],
    keep: ['PMAK-1'],
  }),
  prefixedToken('linear-api-key', 'Linear API key', ['lin_api_'], '[a-zA-Z0-9]{40}', {
    redact: [`LINEAR_API_KEY=${s(`lin_api_${fakeChars(40, undefined, 54)}`)}`],
    keep: ['lin_api_ prefix'],
  }),
  prefixedToken('prefect-api-key', 'Prefect API key', ['pnu_'], '[a-zA-Z0-9]{36}', {
    redact: [`PREFECT_API_KEY=${s(`pnu_${ALNUM36(55)}`)}`],
    keep: ['pnu_x'],
  }),
  prefixedToken('readme-api-key', 'ReadMe API key', ['rdme_'], '[a-z0-9]{70}', {
    redact: [`README_API_KEY=${s(`rdme_${fakeChars(70, LOWER_ALNUM, 56)}`)}`],
    keep: ['rdme_x'],
  }),
  prefixedToken(
    'sourcegraph-token',
    'Sourcegraph access token',
    ['sgp_'],
    '(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}',
    {
      redact: [`SRC_ACCESS_TOKEN=${s(`sgp_${fakeChars(16, HEX, 57)}_${fakeChars(40, HEX, 58)}`)}`],
      keep: ['sgp_x'],
    },
  ),
  prefixedToken('infracost-api-key', 'Infracost API key', ['ico-'], '[a-zA-Z0-9]{32}', {
    redact: [`INFRACOST_API_KEY=${s(`ico-${fakeChars(32, undefined, 59)}`)}`],
    keep: ['ico-file.png'],
  }),
  prefixedToken(
    'harness-token',
    'Harness personal or service account token',
    ['pat.', 'sat.'],
    String.raw`[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{20}`,
    {
      redact: [
        `HARNESS_TOKEN=${s(`pat.${fakeChars(22, undefined, 60)}.${fakeChars(24, undefined, 61)}.${fakeChars(20, undefined, 62)}`)}`,
      ],
      keep: ['pat.txt'],
    },
  ),
  prefixedToken('octopus-deploy-api-key', 'Octopus Deploy API key', ['API-'], '[A-Z0-9]{26}', {
    redact: [`OCTOPUS_API_KEY=${s(`API-${fakeChars(26, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 63)}`)}`],
    keep: ['API-GATEWAY'],
  }),
];
