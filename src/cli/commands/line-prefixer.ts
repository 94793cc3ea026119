import { StringDecoder } from 'node:string_decoder';

/** Interleaves the output of many tasks on one stream, whole lines only, each prefixed with its task. */
export interface LinePrefixer {
  /** The next raw bytes of one task; complete lines are written at once, a partial line waits for its end. */
  push(task: string, chunk: Uint8Array): void;
  /** The task's output ended: its partial last line is written (with a newline). */
  end(task: string): void;
}

/**
 * `kubectl logs --prefix` for ECS tasks: `[0a1b2c3d] line`. Lines of different tasks never mix, since only whole
 * lines are written; a terminal's CRLF ends a line like LF.
 */
export function createLinePrefixer(write: (text: string) => void): LinePrefixer {
  const pending = new Map<string, { decoder: StringDecoder; partial: string }>();
  const stateOf = (task: string) => {
    let state = pending.get(task);
    if (!state) {
      state = { decoder: new StringDecoder('utf8'), partial: '' };
      pending.set(task, state);
    }
    return state;
  };
  return {
    push(task, chunk) {
      const state = stateOf(task);
      const text = state.partial + state.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      const lastNewline = text.lastIndexOf('\n');
      if (lastNewline === -1) {
        state.partial = text;
        return;
      }
      state.partial = text.slice(lastNewline + 1);
      const lines = text.slice(0, lastNewline).split('\n');
      write(lines.map((line) => `[${task}] ${line.endsWith('\r') ? line.slice(0, -1) : line}\n`).join(''));
    },
    end(task) {
      const state = pending.get(task);
      if (!state) return;
      pending.delete(task);
      const rest = state.partial + state.decoder.end();
      if (rest.length > 0) write(`[${task}] ${rest.endsWith('\r') ? rest.slice(0, -1) : rest}\n`);
    },
  };
}
