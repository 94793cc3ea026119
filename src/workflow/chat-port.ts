import type { ApprovalRecord } from '../approval/approval-port.js';
import type { ApprovalError } from '../approval/errors.js';
import type { PolicyConfig, RunbookConfig } from '../config/schema.js';
import type { DoctorCheck } from '../ecs/doctor.js';
import type { FleetProgress, FleetResult } from '../fleet/fan-out.js';
import type { OutputResult } from '../output/pipeline.js';
import type { PolicyDecision } from '../policy/evaluate.js';
import type { RunbookParamDescriptor } from '../policy/runbooks.js';

/**
 * A message the chat adapter posted, as it identifies it within its conversation (for Slack: the message's ts). The
 * workflow and the approval store only keep it and compare it as a string: a click is on a request's card exactly
 * when it comes from the request's conversation and the clicked message's reference equals the stored one.
 */
export type MessageRef = string;

/** What a container-choice offer carries per choice: the container, and what resumes the request if it is picked. */
export interface ContainerChoice {
  container: string;
  /** Handed back to `Workflow.pickContainer` unchanged; it is user input by then and is checked again. */
  resume: string;
}

/** A runbook whose parameters are missing: what the form asks for and what it already knows. */
export interface ParameterForm {
  runbook: string;
  params: readonly RunbookParamDescriptor[];
  given: Readonly<Record<string, string>>;
  reason?: string;
}

/**
 * The person behind one command, click or form submission, and the ways to answer them. Built by the chat adapter
 * for each interaction; nothing in it is trusted beyond what the chat platform signed.
 */
export interface Asker {
  userId: string;
  userName: string;
  /** The conversation the interaction happened in. */
  conversation: string;
  /** Unique to this interaction; a click delivered twice carries the same one (idempotency of decisions). */
  interactionId: string;
  /** What the person typed, kept for the audit of a refusal; absent for clicks and forms. */
  typedText?: string;
  /** The message a clicked button sits on, as the chat says it is; checked against the stored card. */
  clickedMessage?: MessageRef;
  /**
   * The button sits on the person's own Home view (no message): `binding` is the request's binding digest the view
   * showed, which the decision must still match.
   */
  clickedHome?: { binding: string };
  /** Answers privately: only this person sees it. */
  reply(text: string): Promise<void>;
  /** Offers a choice of containers; false when the choices cannot be carried (the caller then explains in text). */
  askForContainer(choices: readonly ContainerChoice[]): Promise<boolean>;
  /** Opens a form for a runbook's missing parameters; false when no form can be opened for this interaction. */
  askForParameters(form: ParameterForm): Promise<boolean>;
  /** Opens the form behind a deny (an optional reason); its submission comes back as `Workflow.deny`. */
  askForDenyReason(record: ApprovalRecord): Promise<void>;
}

/** How far a run has got, for a view that follows it while it runs. */
export interface RunProgress {
  requestId: string;
  /** The last lines of (redacted) output. */
  snapshot: string;
  elapsedMs: number;
  bytes: number;
}

/** Whether the result of a run reached the conversation. */
export type ResultDelivery = 'delivered' | 'failed' | 'unconfirmed';

/** The chat side of one run: a view that follows it while it runs, then its result. */
export interface RunReport {
  /** Arms the following view: it appears only if the run is still going after the chat's delay. */
  start(): void;
  /** Output arrived; the view catches up at the chat's pace. */
  changed(): void;
  /** Shows the stored outcome of the run with its output; says whether it reached the conversation. */
  finish(finished: ApprovalRecord, output: OutputResult, snapshot: string): Promise<ResultDelivery>;
  /** Last, after the card: a following view that did not carry the result shows the final status, no controls. */
  close(): Promise<void>;
  /** Another replica closed the run: the following view loses its controls and shows no outcome of its own. */
  abandon(progress: RunProgress): Promise<void>;
}

export interface RunReportOptions {
  /** Renders how far the run has got; called only when the view is actually updated. */
  progress: () => RunProgress;
  /** Resolves when this replica may still write about the run; rejects once another one closed it. */
  mayWrite: () => Promise<void>;
  /** Asked-for time between updates of the following view (the chat may slow it further). */
  intervalMs: number;
  /** How long a run must last before it gets a following view at all. */
  delayMs: number;
  /** How many lines of output the result shows before it points to the whole output. */
  previewLines: number;
}

/** How far a fan-out has got, for the message that follows it. */
export interface FleetRunView {
  requestId: string;
  progress: FleetProgress;
  elapsedMs: number;
  /** Something people must know about this run (the tasks at dispatch differ from the approved count). */
  note?: string;
  /** Set once Stop was pressed (or too many tasks failed): no new task starts. */
  stopping?: string;
}

/** The chat side of one fan-out: one message that follows its progress, then the grouped result and the output. */
export interface FleetReport {
  /** Arms the following message (it appears only if the fan-out outlasts the chat's delay). */
  start(): void;
  /** A task started or ended; the message catches up at the chat's pace. */
  changed(): void;
  /** Shows the grouped result (in the following message when there is one) and uploads the output per task. */
  finish(finished: ApprovalRecord, result: FleetResult, note?: string): Promise<ResultDelivery>;
  /** Another replica closed the run: the following message loses its Stop button. */
  abandon(): Promise<void>;
}

export interface FleetReportOptions {
  view: () => FleetRunView;
  mayWrite: () => Promise<void>;
  intervalMs: number;
  delayMs: number;
}

/** Why a note goes under a card. */
export type CardNote = 'result_undelivered' | 'result_unconfirmed';

/** Something the thread of a request's card is told, for everyone in the conversation. */
export type ThreadNotice =
  | { kind: 'not_started'; why: string; startsLater: boolean }
  | { kind: 'interrupted' }
  | { kind: 'nudge'; stage: 'remind' | 'escalate'; groups: readonly string[]; nowMs: number };

/** The words for answers that carry more than a sentence; the chat adapter writes them in its own markup. */
export interface ChatWording {
  /** A request's state, for a line of text. */
  state(state: string): string;
  denied(decision: PolicyDecision): string;
  explanation(decision: PolicyDecision, command: string): string;
  status(record: ApprovalRecord): string;
  history(records: readonly ApprovalRecord[]): string;
  runbooks(visible: readonly { name: string; runbook: RunbookConfig }[]): string;
  doctor(cluster: string, service: string, checks: readonly DoctorCheck[]): string;
  /** Why a decision came too late, naming who decided first. */
  alreadyDecided(record: ApprovalRecord): string;
  /** Why the store refused a decision, with what the person can do about it in this chat. */
  refusal(error: ApprovalError): string;
  /** "the requester (@riley), an approver (sre) or an admin (platform)". */
  whoCanStop(record: Pick<ApprovalRecord, 'requester' | 'approval'>, admins: readonly string[]): string;
}

/**
 * Everything the workflow asks of a chat platform, in plain words. The Slack adapter implements it with Block Kit;
 * a test implements it with a recording fake. Writes are posted once and then only updated by reference, so a
 * retried call never shows a message twice.
 */
export interface ChatPort {
  /** Posts the request's card in the conversation it was asked in; the returned reference is stored with it. */
  showRequest(record: ApprovalRecord, policy: PolicyConfig): Promise<MessageRef>;
  /** Brings the card at `record.cardRef` in line with the record; an optional note goes under it. */
  updateRequest(record: ApprovalRecord, policy: PolicyConfig, note?: CardNote): Promise<void>;
  /** Turns a message whose buttons can no longer act (not the request's card) into a notice without buttons. */
  retireCard(
    conversation: string,
    message: MessageRef,
    requestId: string,
    record: ApprovalRecord | undefined,
  ): Promise<void>;
  /** Says something in the thread of the request's card. */
  tellThread(record: ApprovalRecord, notice: ThreadNotice, policy: PolicyConfig): Promise<void>;
  /** Answers a person privately outside any interaction (a form that closed, work that went on in the background). */
  replyPrivately(conversation: string, userId: string, text: string): Promise<void>;
  /** Follows one run in the card's thread, then shows its result there. */
  reportRun(record: ApprovalRecord, options: RunReportOptions): RunReport;
  /** Follows a fan-out in the card's thread, then shows its grouped result and per-task output there. */
  reportFleet(record: ApprovalRecord, options: FleetReportOptions): FleetReport;
  /** Escapes text the chat would otherwise read as markup or mentions (ids, names, reasons people typed). */
  plain(text: string): string;
  /** How the chat names a person in a message. */
  person(userId: string): string;
  readonly words: ChatWording;
}
