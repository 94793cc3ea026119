import { isJsonObject } from './http-body.js';

/** Slack's published Block Kit and message limits that the stand-in enforces, so a bot that breaks them fails here first. */
export const SLACK_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  homeBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  /** `text` beyond this is cut and Slack answers with the `message_truncated` warning. */
  messageText: 40_000,
  /** The size `chat.update` reports `msg_too_long` beyond. */
  updateText: 4000,
  /**
   * Total text across a message's blocks. Slack has been seen to answer `msg_blocks_too_long` from about 13,200
   * characters; the stand-in holds the product to its own 12,000 budget so a bot near the edge fails here first.
   */
  blocksText: 12_000,
} as const;

/** Sum of every `text` string in a block tree (what Slack's undocumented total-size check counts, roughly). */
export function blocksTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + blocksTextLength(item), 0);
  if (!isJsonObject(value)) return 0;
  let total = 0;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'text' && typeof child === 'string') total += child.length;
    else total += blocksTextLength(child);
  }
  return total;
}

/** Checks blocks against Slack's limits; returns Slack's error messages (empty when valid). */
export function blockProblems(blocks: unknown, maxBlocks: number = SLACK_LIMITS.messageBlocks): string[] {
  if (!Array.isArray(blocks)) return ['[ERROR] must provide an array [json-pointer:/blocks]'];
  const problems: string[] = [];
  if (blocks.length > maxBlocks)
    problems.push(`[ERROR] no more than ${maxBlocks} items allowed [json-pointer:/blocks]`);
  blocks.forEach((block, index) => {
    const at = `/blocks/${index}`;
    if (!isJsonObject(block) || typeof block['type'] !== 'string') {
      problems.push(`[ERROR] missing required field: type [json-pointer:${at}]`);
      return;
    }
    const blockId = block['block_id'];
    if (typeof blockId === 'string' && blockId.length > SLACK_LIMITS.blockId) {
      problems.push(`[ERROR] must be less than ${SLACK_LIMITS.blockId + 1} characters [json-pointer:${at}/block_id]`);
    }
    switch (block['type']) {
      case 'section': {
        const text = textOf(block['text']);
        const fields = block['fields'];
        if (text === undefined && !Array.isArray(fields)) {
          problems.push(`[ERROR] must provide either text or fields [json-pointer:${at}]`);
        }
        if (text !== undefined && text.length > SLACK_LIMITS.sectionText) {
          problems.push(
            `[ERROR] must be less than ${SLACK_LIMITS.sectionText + 1} characters [json-pointer:${at}/text]`,
          );
        }
        if (Array.isArray(fields)) {
          if (fields.length > SLACK_LIMITS.sectionFields) {
            problems.push(
              `[ERROR] no more than ${SLACK_LIMITS.sectionFields} items allowed [json-pointer:${at}/fields]`,
            );
          }
          fields.forEach((field, fieldIndex) => {
            const fieldText = textOf(field);
            if (fieldText !== undefined && fieldText.length > SLACK_LIMITS.sectionFieldText) {
              problems.push(
                `[ERROR] must be less than ${SLACK_LIMITS.sectionFieldText + 1} characters [json-pointer:${at}/fields/${fieldIndex}/text]`,
              );
            }
          });
        }
        break;
      }
      case 'header': {
        const text = textOf(block['text']);
        if (text === undefined) problems.push(`[ERROR] missing required field: text [json-pointer:${at}]`);
        else if (text.length > SLACK_LIMITS.headerText) {
          problems.push(
            `[ERROR] must be less than ${SLACK_LIMITS.headerText + 1} characters [json-pointer:${at}/text]`,
          );
        }
        break;
      }
      case 'context': {
        const elements = block['elements'];
        if (!Array.isArray(elements) || elements.length === 0) {
          problems.push(`[ERROR] missing required field: elements [json-pointer:${at}]`);
        } else if (elements.length > SLACK_LIMITS.contextElements) {
          problems.push(
            `[ERROR] no more than ${SLACK_LIMITS.contextElements} items allowed [json-pointer:${at}/elements]`,
          );
        }
        break;
      }
      case 'actions': {
        const elements = block['elements'];
        if (!Array.isArray(elements) || elements.length === 0) {
          problems.push(`[ERROR] missing required field: elements [json-pointer:${at}]`);
          break;
        }
        if (elements.length > SLACK_LIMITS.actionsElements) {
          problems.push(
            `[ERROR] no more than ${SLACK_LIMITS.actionsElements} items allowed [json-pointer:${at}/elements]`,
          );
        }
        elements.forEach((element, elementIndex) => {
          problems.push(...elementProblems(element, `${at}/elements/${elementIndex}`));
        });
        break;
      }
      default:
        break;
    }
  });
  return problems;
}

function elementProblems(element: unknown, at: string): string[] {
  if (!isJsonObject(element)) return [`[ERROR] must be an object [json-pointer:${at}]`];
  const problems: string[] = [];
  const actionId = element['action_id'];
  if (typeof actionId === 'string' && actionId.length > SLACK_LIMITS.actionId) {
    problems.push(`[ERROR] must be less than ${SLACK_LIMITS.actionId + 1} characters [json-pointer:${at}/action_id]`);
  }
  if (element['type'] === 'button') {
    const text = textOf(element['text']);
    if (text === undefined) problems.push(`[ERROR] missing required field: text [json-pointer:${at}]`);
    else if (text.length > SLACK_LIMITS.buttonText) {
      problems.push(`[ERROR] must be less than ${SLACK_LIMITS.buttonText + 1} characters [json-pointer:${at}/text]`);
    }
    const value = element['value'];
    if (typeof value === 'string' && value.length > SLACK_LIMITS.buttonValue) {
      problems.push(`[ERROR] must be less than ${SLACK_LIMITS.buttonValue + 1} characters [json-pointer:${at}/value]`);
    }
  }
  return problems;
}

function textOf(value: unknown): string | undefined {
  if (!isJsonObject(value)) return undefined;
  const text = value['text'];
  return typeof text === 'string' ? text : undefined;
}
