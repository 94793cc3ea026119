import pino from 'pino';
import type { Logger } from '../../shared/logger.js';
import type { Workflow } from '../../workflow/workflow.js';
import { ACTION_IDS, CALLBACK_IDS } from '../ids.js';
import type { SlashCommand } from '../parse-command.js';
import type { SlackNotifier } from '../slack-port.js';
import * as views from '../views.js';
import { askerFor, type DenyFormMetadata, formAsker, type RunbookFormMetadata } from './askers.js';
import { createHomeTab } from './home.js';
import type { InteractionContext, SlackHandlers } from './index.js';

/** Hands one parsed slash command to the workflow method that does it. */
async function handleCommand(
  workflow: Workflow,
  notifier: SlackNotifier,
  command: Exclude<SlashCommand, { kind: 'help' }>,
  context: InteractionContext,
): Promise<void> {
  const asker = askerFor(context, notifier);
  switch (command.kind) {
    case 'exec': {
      const { kind: _, ...request } = command;
      return await workflow.exec(request, asker);
    }
    case 'run':
      return await workflow.runRunbook(
        {
          runbook: command.runbook,
          params: command.params,
          ...(command.reason ? { reason: command.reason } : {}),
          ...(command.timeoutMs !== undefined ? { timeoutMs: command.timeoutMs } : {}),
          breakGlass: command.breakGlass,
        },
        asker,
      );
    case 'runbooks':
      return await workflow.listRunbooks(asker);
    case 'explain':
      return await workflow.explain({ target: command.target, command: command.command }, asker);
    case 'status':
      return await workflow.status(command.requestId, asker);
    case 'history':
      return await workflow.history(command.limit, asker);
    case 'cancel':
      return await workflow.cancel(command.requestId, asker);
    case 'doctor':
      return await workflow.doctor(command.target, asker);
  }
}

/**
 * The Slack front of the workflow: each button and each form has its own handler, and each handler calls one
 * workflow method.
 */
export function createSlackHandlers(
  workflow: Workflow,
  notifier: SlackNotifier,
  logger: Logger = pino({ enabled: false }),
): SlackHandlers {
  const asker = (context: InteractionContext) => askerFor(context, notifier);
  const home = createHomeTab(workflow, notifier, logger);
  return {
    homeOpened: (userId, client) => home.publish(userId, client),
    command: (command, context) => handleCommand(workflow, notifier, command, context),
    malformed: (typedText, why, context) => workflow.refuseMalformed(typedText, why, asker(context)),
    actions: {
      [ACTION_IDS.approve]: (requestId, context) => workflow.approve(requestId, asker(context)),
      [ACTION_IDS.deny]: (requestId, context) => workflow.askToDeny(requestId, asker(context)),
      [ACTION_IDS.cancel]: (requestId, context) => workflow.cancel(requestId, asker(context)),
      [ACTION_IDS.stop]: (requestId, context) => workflow.stop(requestId, asker(context)),
      [ACTION_IDS.pickContainer]: (resume, context) => workflow.pickContainer(resume, asker(context)),
      [ACTION_IDS.homeApprove]: home.approve,
      [ACTION_IDS.homeDeny]: home.askToDeny,
      [ACTION_IDS.homeRunbook]: home.runRunbook,
    },
    views: {
      async [CALLBACK_IDS.denyReason](submission, context) {
        const meta = JSON.parse(submission.privateMetadata) as DenyFormMetadata;
        const reason = submission.values[views.DENY_REASON_BLOCK]?.trim();
        if (meta.homeBinding) {
          await home.deny(meta, reason || undefined, context);
          return undefined;
        }
        await workflow.deny(meta.id, formAsker(context, meta, notifier), reason || undefined);
        return undefined;
      },
      async [CALLBACK_IDS.runbookParams](submission, context) {
        const meta = JSON.parse(submission.privateMetadata) as RunbookFormMetadata;
        const given: Record<string, string> = { ...meta.given };
        for (const [key, value] of Object.entries(submission.values)) {
          if (key.startsWith(views.PARAM_BLOCK_PREFIX) && value !== undefined && value !== '') {
            given[key.slice(views.PARAM_BLOCK_PREFIX.length)] = value;
          }
        }
        const refused = await workflow.submitRunbookParameters(
          { runbook: meta.runbook, given, ...(meta.reason ? { reason: meta.reason } : {}) },
          formAsker(context, { channel: meta.channel }, notifier),
        );
        if (!refused) return undefined;
        const errors: Record<string, string> = {};
        for (const [param, message] of Object.entries(refused.fieldErrors)) {
          errors[`${views.PARAM_BLOCK_PREFIX}${param}`] = message;
        }
        return { errors };
      },
      [CALLBACK_IDS.breakGlassReason]: async () => undefined,
    },
  };
}
