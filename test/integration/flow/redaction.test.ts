import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { fakeChars } from '../../../src/output/rules/rule-spec.js';
import { ordinaryOutput } from '../../fixtures/output/ordinary-output.js';
import { secretCorpus } from '../../fixtures/output/secret-corpus.js';
import { ALICE, CHANNEL, everythingSlackReceived, FLOW_CONFIG, type FlowFixture, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;
let corpusFile: string | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
  if (corpusFile) rmSync(corpusFile, { force: true });
  corpusFile = undefined;
});

/** A secret shape only the config file's own rule knows. */
const ACME_TOKEN = `acme_${fakeChars(32, '0123456789abcdefghijklmnopqrstuvwxyz', 950)}`;
const CONFIG_WITH_OWN_RULE = `${FLOW_CONFIG}
redaction:
  rules:
    - { id: acme-token, keywords: [acme_], pattern: 'acme_[a-z0-9]{32}' }
`;

describe('secrets printed by a command or typed into a request', () => {
  it('reach no Slack call (messages, updates, ephemerals, uploaded files), no log line and no audit entry', async () => {
    const corpus = secretCorpus();
    const ordinary = ordinaryOutput(256 * 1024);
    // The corpus interleaved with ordinary output, so secrets fall across frames, previews and the live tail.
    const lines: string[] = [];
    ordinary.forEach((line, i) => {
      lines.push(line);
      const planted = corpus[i / 10];
      if (i % 10 === 0 && planted) lines.push(`${planted.text}\n`);
    });
    lines.push(`deploying with ${ACME_TOKEN} now\n`);
    corpusFile = join(tmpdir(), `ecs-exec-corpus-${randomUUID()}.txt`);
    writeFileSync(corpusFile, lines.join(''));
    const typedPassword = `Typed-${fakeChars(12, undefined, 951)}`;
    const reasonPassword = `Reason-${fakeChars(12, undefined, 952)}`;

    flow = await startFlow(inject('redisUrl'), { configYaml: CONFIG_WITH_OWN_RULE });
    await flow.stack.slash(
      ALICE,
      CHANNEL,
      `demo/web --reason "rotate DB_PASSWORD=${reasonPassword} today" -- PGPASSWORD=${typedPassword} cat ${corpusFile}`,
    );
    const card = await flow.card();
    const status = await flow.finalStatus(card, 60_000);
    expect(status.text).toMatch(/exit 0/);
    await expect
      .poll(() => flow?.stack.slack.callsTo('files.completeUploadExternal').length, { timeout: 10_000 })
      .toBe(1);
    // Listings show the command and reason again.
    await flow.stack.slash(ALICE, CHANNEL, 'history 5');
    await expect
      .poll(() => flow?.ephemerals(ALICE).some((text) => text.includes('cat ')), { timeout: 10_000 })
      .toBe(true);

    const uploaded = flow
      .thread(card)
      .flatMap((message) => message.files ?? [])
      .map((file) => file.content?.toString('utf8') ?? '')
      .join('');
    expect(uploaded.length).toBeGreaterThan(200_000);
    const audit = JSON.stringify(await flow.auditEntries());
    const places: Record<string, string> = {
      'Slack calls': everythingSlackReceived(flow),
      'uploaded file': uploaded,
      logs: flow.logs.join(''),
      'audit stream': audit,
    };
    const secrets = [
      ...corpus.map((entry) => ({ what: `${entry.kind} (${entry.shape})`, secret: entry.secret })),
      { what: 'acme-token (config rule)', secret: ACME_TOKEN },
      { what: 'password typed into the command', secret: typedPassword },
      { what: 'password typed into the reason', secret: reasonPassword },
    ];
    const leaks: string[] = [];
    for (const [place, text] of Object.entries(places)) {
      for (const { what, secret } of secrets) if (text.includes(secret)) leaks.push(`${what} in ${place}`);
    }
    expect(leaks).toEqual([]);
    // The redactions are visible where the output is, and the audit entry counts them.
    expect(uploaded).toContain('[REDACTED github-token]');
    expect(uploaded).toContain('[REDACTED acme-token]');
    expect(uploaded).toContain('PASSWORD_MIN_LENGTH=12 TOKEN_TTL_SECONDS=3600');
    expect(audit).toMatch(/"redactions":\s?\d{3}/);
    // The card and the audit stream still show what was typed, with only the secrets replaced.
    expect(places['Slack calls']).toContain('PGPASSWORD=[REDACTED password] cat');
    expect(audit).toContain('rotate DB_PASSWORD=[REDACTED password] today');
  });
});
