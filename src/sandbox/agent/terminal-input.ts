import { decodeSize, PayloadType } from '../../ssm/codec/index.js';
import type { SessionCipher } from '../../ssm/session-crypto.js';
import type { CommandOutput } from './command-output.js';
import { CommandSplitError, splitCommand } from './command-split.js';
import type { SessionSnapshot } from './session-snapshot.js';

/**
 * One in-order client message for a running command: a Size resizes the pty, keystrokes (decrypted under KMS) are
 * written to it. Anything else, a malformed size or undecryptable keys are dropped, as the agent does.
 */
export function applyTerminalInput(
  payloadType: number,
  payload: Uint8Array,
  cipher: SessionCipher | undefined,
  command: CommandOutput,
  snapshot: SessionSnapshot,
): void {
  if (payloadType === PayloadType.Size) {
    try {
      const size = decodeSize(payload);
      snapshot.sizes.push(size);
      if (size.cols > 0 && size.rows > 0) command.resize(size.cols, size.rows);
    } catch {
      // A malformed size is ignored by the agent too.
    }
    return;
  }
  if (payloadType !== PayloadType.Output) return;
  let bytes = payload;
  if (cipher) {
    try {
      bytes = cipher.decrypt(bytes);
    } catch {
      return;
    }
  }
  snapshot.inputBytes += bytes.length;
  command.write(bytes);
}

/** The command's argv, split as the agent does (no shell), or the `channel_closed` output saying why it cannot run. */
export function commandArgv(command: string): string[] | string {
  let argv: string[];
  try {
    argv = splitCommand(command);
  } catch (error) {
    const reason = error instanceof CommandSplitError ? error.message : 'invalid command';
    return `Unable to start command: failed to parse command: ${reason}`;
  }
  return argv.length === 0 ? 'Unable to start command: the command is empty' : argv;
}
