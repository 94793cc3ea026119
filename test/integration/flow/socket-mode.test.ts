import { afterEach, describe, expect, inject, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { ALICE, BOB, CHANNEL, type FlowFixture, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

describe('the same flow over Socket Mode', () => {
  it('answers help, asks for an approval and runs the command, all over the WebSocket', async () => {
    flow = await startFlow(inject('redisUrl'), { socketMode: true });
    const help = await flow.stack.slash(ALICE, CHANNEL, 'help');
    expect(help.failure).toBeUndefined();
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toContain('/ecs-exec <cluster>/<service>');

    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo over-the-socket');
    const card = structuredClone(await flow.card());
    const click = await flow.stack.click(BOB, card, ACTION_IDS.approve);
    expect(click.failure).toBeUndefined();
    const status = await flow.finalStatus(card);
    expect(JSON.stringify(status.blocks)).toContain('over-the-socket');
    // Nothing came in over HTTP: the bot's HTTP server only serves probes in Socket Mode.
    const events = await fetch(`${flow.stack.bot.url}/slack/events`, { method: 'POST', body: 'x' });
    expect(events.status).toBe(404);
  });
});
