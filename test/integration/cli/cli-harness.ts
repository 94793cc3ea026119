import { Writable } from 'node:stream';
import type { CliIo } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/main.js';

/** A writable that keeps every byte written to it; `isTTY` makes it look like a terminal to the CLI. */
export class Capture extends Writable {
  private readonly chunks: Buffer[] = [];
  isTTY = false;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.isBuffer(chunk) ? Buffer.from(chunk) : Buffer.from(chunk, 'utf8'));
    callback();
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.bytes.toString('utf8');
  }
}

/** Runs `ecs-exec <args>` in-process with the given environment; returns the exit code and what it wrote. */
export async function cli(
  args: string[],
  env: Record<string, string | undefined>,
  options: { signal?: AbortSignal; stdoutIsTty?: boolean; stdin?: CliIo['stdin'] } = {},
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const stdout = new Capture();
  stdout.isTTY = options.stdoutIsTty === true;
  const stderr = new Capture();
  const io: CliIo = {
    stdout,
    stderr,
    env,
    signal: options.signal ?? new AbortController().signal,
    ...(options.stdin ? { stdin: options.stdin } : {}),
  };
  const code = await runCli(args, io);
  return { code, stdout: stdout.bytes, stderr: stderr.text };
}
