import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPlayground, startPlayground } from '../../../src/playground/start-playground.js';
import { bundledConfigPath } from '../../../src/playground/workspace-seed.js';

// Debian's chromium, which .ci/run installs; CHROMIUM_PATH points elsewhere on other machines.
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = 'test-artifacts';
const README_SCREENSHOT = 'docs/playground.png';

if (!HAVE_CHROMIUM) {
  console.warn(
    `[playground browser test] SKIPPED: no Chromium at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH; CI installs it in .ci/run.`,
  );
}

let playground: RunningPlayground | undefined;
let browser: BrowserContext | undefined;
let page: Page;
let profile: string | undefined;

async function screenshot(name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `playground-${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Types a command in the composer as the acting user and sends it. */
async function type(command: string): Promise<void> {
  await page.fill('#composer-input', command);
  await page.press('#composer-input', 'Enter');
}

async function actAs(userId: string): Promise<void> {
  await page.selectOption('#user-switcher', userId);
}

/** The newest request card in the channel (a top-level bot message with a header). */
function newestCard() {
  return page
    .locator('.messages > .message[data-kind="message"]')
    .filter({ has: page.locator('.block-header') })
    .last();
}

/** The thread right under a card. */
function threadOf(cardTs: string) {
  return page.locator(`.thread[data-thread-ts="${cardTs}"]`);
}

describe.skipIf(!HAVE_CHROMIUM)(`the playground in a browser (${CHROMIUM})`, () => {
  beforeAll(async () => {
    const bundled = readFileSync(bundledConfigPath(), 'utf8');
    expect(bundled).toContain('remindAfter: 1m');
    playground = await startPlayground({
      // Reminders after 3 s instead of a minute, looked for twice a second.
      configYaml: bundled.replace('remindAfter: 1m', 'remindAfter: 3s'),
      policyName: 'ecs-exec.playground.yml',
      port: 0,
      tuning: { expirySweepIntervalMs: 500 },
    });
    profile = mkdtempSync(join(tmpdir(), 'ecs-exec-playground-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 860 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(20_000);
    await page.goto(playground.url);
    await page.waitForSelector('#connection[data-state="live"]');
    // A ceiling, not a wait: Chromium's first start on a machine busy with other test files can take a minute or more.
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await playground?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('runs a free command on demo/web and shows its output, as text, in the thread', async () => {
    await actAs('U0RILEY');
    await type(`/ecs-exec demo/web -- sh -c 'echo "<script>window.pwned=1</script>"; uname -s'`);
    const card = newestCard();
    await expect.poll(() => card.count()).toBe(1);
    const cardTs = (await card.getAttribute('data-ts')) as string;
    const thread = threadOf(cardTs);
    await thread.getByText('exit 0').waitFor();
    await expect.poll(() => thread.textContent()).toContain('<script>window.pwned=1</script>');
    await expect.poll(() => thread.textContent()).toContain('Linux');
    // The output is shown as characters: no element was created from it and nothing ran.
    expect(await page.locator('.messages script').count()).toBe(0);
    expect(await page.evaluate('typeof globalThis.pwned')).toBe('undefined');
    await screenshot('1-free-command');
  });

  it('refuses the outsider with a message only the outsider sees', async () => {
    await actAs('U0OSCAR');
    await type('/ecs-exec demo/web -- ls');
    const note = page.locator('.message.ephemeral').last();
    await expect.poll(() => note.textContent()).toMatch(/not allowed|no rule/i);
    await actAs('U0RILEY');
    await expect
      .poll(() =>
        page
          .locator('.message.ephemeral')
          .filter({ hasText: /not allowed|no rule/i })
          .count(),
      )
      .toBe(0);
  });

  it('asks for approval on demo/worker, the approver approves, the card updates and the output arrives', async () => {
    await actAs('U0RILEY');
    await type('/ecs-exec demo/worker --reason "queue stuck" -- echo approved-run');
    const card = newestCard();
    await expect.poll(() => card.textContent()).toContain('Waiting for approval');
    const cardTs = (await card.getAttribute('data-ts')) as string;
    await screenshot('2-waiting-for-approval');

    await actAs('U0AVERY');
    const approve = page.locator(`.message[data-ts="${cardTs}"] button[data-action-id="ecs_exec_approve"]`);
    await approve.click();
    const updated = page.locator(`.message[data-ts="${cardTs}"]`);
    await expect.poll(() => updated.textContent(), { timeout: 20_000 }).toContain('Approved by @avery');
    const thread = threadOf(cardTs);
    await thread.getByText('exit 0').waitFor();
    await expect.poll(() => thread.textContent()).toContain('approved-run');
    // Final: no buttons left on the card.
    await expect.poll(() => updated.locator('button[data-action-id="ecs_exec_approve"]').count()).toBe(0);
    const approved = await screenshot('3-approved-and-ran');
    // The README's picture: refreshed on request, or made once when missing.
    if (process.env['UPDATE_SCREENSHOTS'] === '1' || !existsSync(README_SCREENSHOT)) {
      mkdirSync('docs', { recursive: true });
      copyFileSync(approved, README_SCREENSHOT);
    }
  });

  it('follows a longer run in a live tail that grows, then ends on the result without its Stop button', async () => {
    await actAs('U0RILEY');
    await type(`/ecs-exec demo/web -- sh -c 'i=1; while [ $i -le 8 ]; do echo tick-$i; i=$((i+1)); sleep 0.7; done'`);
    const card = newestCard();
    await expect.poll(() => card.textContent()).toContain('tick-');
    const cardTs = (await card.getAttribute('data-ts')) as string;
    const thread = threadOf(cardTs);
    const running = thread.locator('.message').filter({ has: page.locator('button[data-action-id="ecs_exec_stop"]') });
    await expect.poll(() => running.textContent(), { timeout: 20_000 }).toMatch(/tick-[1-3]/);
    const tailTs = (await running.getAttribute('data-ts')) as string;
    const tail = thread.locator(`.message[data-ts="${tailTs}"]`);
    // Updated in place while the command runs: later lines arrive in the same message, Stop still offered.
    await expect.poll(() => tail.textContent(), { timeout: 20_000 }).toContain('tick-5');
    await screenshot('live-tail');
    await thread.getByText('exit 0').first().waitFor();
    // The run ended: the same message now carries the result, its last lines included, and nothing is left to stop.
    await expect.poll(() => tail.textContent(), { timeout: 20_000 }).toMatch(/✅ exit 0/);
    await expect.poll(() => tail.textContent()).toContain('tick-8');
    expect(await tail.locator('button[data-action-id="ecs_exec_stop"]').count()).toBe(0);
  });

  it('lets the approver of the rule stop a run they approved, from its live tail', async () => {
    await actAs('U0RILEY');
    await type(`/ecs-exec demo/worker --reason "runaway" -- sh -c 'echo looping; sleep 60'`);
    const card = newestCard();
    await expect.poll(() => card.textContent()).toContain('runaway');
    const cardTs = (await card.getAttribute('data-ts')) as string;
    await actAs('U0AVERY');
    await page.locator(`.message[data-ts="${cardTs}"] button[data-action-id="ecs_exec_approve"]`).click();
    const thread = threadOf(cardTs);
    const stop = thread.locator('button[data-action-id="ecs_exec_stop"]');
    await stop.waitFor({ timeout: 20_000 });
    await stop.click();
    await thread
      .getByText(/cancelled/)
      .first()
      .waitFor({ timeout: 20_000 });
    await expect.poll(() => stop.count()).toBe(0);
  });

  it('reminds the approvers once in the thread of a request left waiting', async () => {
    await actAs('U0RILEY');
    await type('/ecs-exec demo/worker --reason "nobody looked" -- echo waiting');
    const card = newestCard();
    await expect.poll(() => card.textContent()).toContain('nobody looked');
    const cardTs = (await card.getAttribute('data-ts')) as string;
    const thread = threadOf(cardTs);
    const reminder = thread.locator('.message').filter({ hasText: 'has waited' });
    await expect.poll(() => reminder.count(), { timeout: 20_000 }).toBe(1);
    expect(await reminder.textContent()).toMatch(/@sre.*waited \d+s for approval/s);
    await screenshot('reminder');
    // The approver decides from the card; the request is no longer waiting, so no second reminder follows.
    await actAs('U0AVERY');
    await page.locator(`.message[data-ts="${cardTs}"] button[data-action-id="ecs_exec_approve"]`).click();
    await thread.getByText('exit 0').first().waitFor({ timeout: 20_000 });
    expect(await reminder.count()).toBe(1);
  });

  it('keeps the "Acting as" switcher in a narrow window', async () => {
    await page.setViewportSize({ width: 560, height: 800 });
    try {
      await expect.poll(() => page.locator('#user-switcher').isVisible()).toBe(true);
      await actAs('U0AVERY');
      await actAs('U0RILEY');
      await screenshot('narrow');
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });

  it("shows a pending approval on the approver's Home tab, approved from there", async () => {
    await actAs('U0RILEY');
    await type('/ecs-exec demo/worker --reason "from home" -- echo home-approved');
    const card = newestCard();
    await expect.poll(() => card.textContent()).toContain('from home');
    const cardTs = (await card.getAttribute('data-ts')) as string;
    const requestId = /· ecs-exec (r-[a-z0-9]+)/.exec((await card.textContent()) ?? '')?.[1] ?? '';
    expect(requestId).not.toBe('');

    await actAs('U0AVERY');
    await page.locator('#home-link').click();
    const home = page.locator('#home-pane');
    await expect.poll(() => home.textContent()).toContain('from home');
    const approve = home.locator(`button[data-action-id="ecs_exec_home_approve"][data-value^="${requestId} "]`);
    await expect.poll(() => approve.count()).toBe(1);
    await screenshot('6-app-home');
    await approve.click();
    // The Home tab is published again: the request no longer waits there.
    await expect.poll(() => approve.count(), { timeout: 20_000 }).toBe(0);

    await page.locator('#channel-name').click();
    const updated = page.locator(`.message[data-ts="${cardTs}"]`);
    await expect.poll(() => updated.textContent(), { timeout: 20_000 }).toContain('Approved by @avery');
    await threadOf(cardTs).getByText('exit 0').waitFor();
    await expect.poll(() => threadOf(cardTs).textContent()).toContain('home-approved');
    await expect.poll(() => page.locator('#composer-input').isVisible()).toBe(true);
  });

  it('opens the runbook modal, takes the parameters and runs the runbook', async () => {
    await actAs('U0RILEY');
    await type('/ecs-exec run warm-cache');
    const modal = page.locator('form.modal');
    await modal.waitFor();
    await screenshot('4-runbook-modal');
    // The hint says in words what the pattern allows.
    await expect.poll(() => modal.textContent()).toContain('letters, digits, spaces, _, . and -; 1 to 40 characters');
    expect(await modal.textContent()).not.toContain('^[A-Za-z0-9');
    // Two mistakes, then one fixed: the other error stays, and nothing typed is lost when the errors change.
    await modal.locator('#input-param_label').fill('sessions/*');
    await modal.locator('#input-param_steps').fill('99');
    await modal.locator('.modal-submit').click();
    await expect.poll(() => modal.locator('.field-error').count()).toBe(2);
    await modal.locator('#input-param_label').fill('sessions');
    await modal.locator('.modal-submit').click();
    await expect.poll(() => modal.locator('.field-error').count()).toBe(1);
    expect(await modal.locator('#input-param_label').inputValue()).toBe('sessions');
    expect(await modal.locator('#input-param_steps').inputValue()).toBe('99');
    await modal.locator('#input-param_steps').fill('3');
    await modal.locator('.modal-submit').click();
    await modal.waitFor({ state: 'detached' });
    const card = newestCard();
    await expect.poll(() => card.textContent()).toContain('warm-cache');
    const cardTs = (await card.getAttribute('data-ts')) as string;
    const thread = threadOf(cardTs);
    await thread.getByText('exit 0').waitFor();
    await expect.poll(() => thread.textContent()).toContain('warming sessions step 3 of 3');
    await screenshot('5-runbook-ran');
  });
});
