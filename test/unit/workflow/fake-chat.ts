import type { ApprovalRecord } from '../../../src/approval/approval-port.js';
import type {
  Asker,
  CardNote,
  ChatPort,
  ContainerChoice,
  FleetReport,
  ParameterForm,
  ResultDelivery,
  RunReport,
  ThreadNotice,
} from '../../../src/workflow/chat-port.js';

/** One thing the workflow asked of the chat, in order. */
export type ChatEvent =
  | { kind: 'card'; requestId: string; state: string; ref: string }
  | { kind: 'card-update'; requestId: string; state: string; note?: CardNote }
  | { kind: 'retired'; message: string; requestId: string }
  | { kind: 'thread'; requestId: string; notice: ThreadNotice['kind'] }
  | { kind: 'private'; userId: string; text: string }
  | { kind: 'result'; requestId: string; state: string; output: string }
  | { kind: 'choices'; userId: string; choices: readonly ContainerChoice[] }
  | { kind: 'form'; userId: string; form: ParameterForm }
  | { kind: 'deny-form'; userId: string; requestId: string };

/**
 * A chat that records what the workflow asked of it, in plain terms, with no markup: the text of its words is the
 * data they were given. Delivery of results can be made to fail.
 */
export class FakeChat implements ChatPort {
  readonly events: ChatEvent[] = [];
  resultDelivery: ResultDelivery = 'delivered';
  private cards = 0;

  readonly words = {
    state: (state: string) => state,
    denied: (decision: { reason: string }) => `denied: ${decision.reason}`,
    explanation: (decision: { effect: string }, command: string) => `explain ${command}: ${decision.effect}`,
    status: (record: ApprovalRecord) => `status ${record.id}: ${record.state}`,
    history: (records: readonly ApprovalRecord[]) => `history: ${records.map((r) => r.id).join(',')}`,
    runbooks: (visible: readonly { name: string }[]) => `runbooks: ${visible.map((r) => r.name).join(',')}`,
    doctor: (cluster: string, service: string) => `doctor ${cluster}/${service}`,
    alreadyDecided: (record: ApprovalRecord) => `already ${record.state}`,
    refusal: (error: Error) => error.message,
    whoCanStop: () => 'the requester',
  };

  async showRequest(record: ApprovalRecord): Promise<string> {
    this.cards += 1;
    const ref = `card-${this.cards}`;
    this.events.push({ kind: 'card', requestId: record.id, state: record.state, ref });
    return ref;
  }

  async updateRequest(record: ApprovalRecord, _policy: unknown, note?: CardNote): Promise<void> {
    this.events.push({ kind: 'card-update', requestId: record.id, state: record.state, ...(note ? { note } : {}) });
  }

  async retireCard(_conversation: string, message: string, requestId: string): Promise<void> {
    this.events.push({ kind: 'retired', message, requestId });
  }

  async tellThread(record: ApprovalRecord, notice: ThreadNotice): Promise<void> {
    this.events.push({ kind: 'thread', requestId: record.id, notice: notice.kind });
  }

  async replyPrivately(_conversation: string, userId: string, text: string): Promise<void> {
    this.events.push({ kind: 'private', userId, text });
  }

  reportRun(): RunReport {
    return {
      start: () => {},
      changed: () => {},
      finish: async (finished, output) => {
        this.events.push({
          kind: 'result',
          requestId: finished.id,
          state: finished.state,
          output: output.text,
        });
        return this.resultDelivery;
      },
      close: async () => {},
      abandon: async () => {},
    };
  }

  reportFleet(): FleetReport {
    return {
      start: () => {},
      changed: () => {},
      finish: async (finished, result) => {
        this.events.push({ kind: 'result', requestId: finished.id, state: finished.state, output: result.summary });
        return this.resultDelivery;
      },
      abandon: async () => {},
    };
  }

  plain(text: string): string {
    return text;
  }

  person(userId: string): string {
    return `@${userId}`;
  }

  /** Someone typing or clicking in conversation C1; `clickedMessage` is the card a button sits on. */
  asker(userId: string, extra: Partial<Pick<Asker, 'clickedMessage' | 'typedText'>> = {}): Asker {
    return {
      userId,
      userName: userId,
      conversation: 'C1',
      interactionId: `i-${Math.random()}`,
      ...extra,
      reply: async (text) => {
        this.events.push({ kind: 'private', userId, text });
      },
      askForContainer: async (choices) => {
        this.events.push({ kind: 'choices', userId, choices });
        return true;
      },
      askForParameters: async (form) => {
        this.events.push({ kind: 'form', userId, form });
        return true;
      },
      askForDenyReason: async (record) => {
        this.events.push({ kind: 'deny-form', userId, requestId: record.id });
      },
    };
  }

  /** The private answers `userId` got, in order. */
  repliesTo(userId: string): string[] {
    return this.events.flatMap((event) => (event.kind === 'private' && event.userId === userId ? [event.text] : []));
  }
}
