/**
 * Turns a terminal byte stream (already decoded to text) into the lines a terminal would show.
 *
 * Purpose-built instead of `@xterm/headless`: a full emulator parsed about 45 MB/s on the project's machine kind,
 * well under the 150 MB/s the pipeline needs, and its fixed screen size would wrap and scroll lines away.
 * Commands run through ECS Exec are batch commands, so a line model is enough: carriage returns, backspaces,
 * tabs and in-line cursor moves (CSI C/D/G) and line erases (CSI K) are applied to the current line; colours,
 * vertical cursor moves, screen erases, OSC/DCS strings and other escapes are dropped.
 */

/** A line longer than this is handed on in pieces (as a terminal would soft-wrap it) so memory stays bounded. */
export const MAX_RENDERED_LINE_CHARS = 8192;

const MAX_CSI_PARAM_CHARS = 32;
/** OSC/DCS strings longer than this are abandoned so an unterminated one cannot swallow the rest of the output. */
const MAX_CONTROL_STRING_CHARS = 65_536;
const TAB_WIDTH = 8;

const GROUND = 0;
const ESCAPE = 1;
const ESCAPE_INTERMEDIATE = 2;
const CSI = 3;
const CONTROL_STRING = 4;
const CONTROL_STRING_ESCAPE = 5;
type ParserState = 0 | 1 | 2 | 3 | 4 | 5;

const ESC = 0x1b;
const CR = 0x0d;
/** Carriage returns, each followed by printable text only: a progress bar's redraws. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding carriage returns is this regex's job
const CR_REDRAWS = /(?:\r[^\x00-\x1f\x7f-\x9f]*)+/y;
/** Controls other than LF, DEL and the C1 controls: everything the fast path cannot copy through. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job
const SPECIAL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/g;
/** Parameter characters (`0-9 : ;`) a colour code may have and still be taken out in bulk. */
const MAX_SGR_PARAM_CHARS = 32;
/** C1 controls that start a sequence; text containing one takes the state machine's way. */
const C1_INTRODUCER = /[\x90\x98\x9b\x9d-\x9f]/;
/** A global regular expression replaces with a plain string faster than `replaceAll` (about 1.4x here). */
const CRLF = /\r\n/g;
/** The same CRs, and the colour codes `colourCodeEnd` finds. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: carriage returns and escapes are this regex's job
const CR_BEFORE_LF_OR_COLOUR_CODE = /\r(?=\n)|\x1b\[[0-;]{0,32}m/g;
/** A complete CSI sequence: parameters, intermediates, final byte. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: a CSI sequence starts with ESC
const CSI_SEQUENCE = /\x1b\[([0-?]{0,32})[ -/]{0,8}([@-~])/y;

/** Streaming line renderer; state survives across `write` calls, so escapes may be split anywhere. */
export class TerminalRenderer {
  private line = '';
  private col = 0;
  /** Finished text, joined when taken: joining flat pieces beats scanning a deep rope of concatenations later. */
  private committed: string[] = [];
  private state: ParserState = GROUND;
  private csiParams = '';
  private controlStringLength = 0;

  /** Feeds decoded text. Finished lines become available through `takeCommitted`. */
  write(input: string): void {
    const text = this.simplified(input);
    const length = text.length;
    let i = 0;
    while (i < length) {
      if (this.state !== GROUND) {
        this.escapeStep(text.charCodeAt(i));
        i++;
        continue;
      }
      // Find the run of printable text and newlines before the next control or escape.
      SPECIAL.lastIndex = i;
      // `test` instead of `exec`: no match array for each of the many controls in coloured or redrawn output.
      const j = SPECIAL.test(text) ? SPECIAL.lastIndex - 1 : length;
      const code = j < length ? text.charCodeAt(j) : 0;
      const firstNewline = text.indexOf('\n', i);
      if (firstNewline !== -1 && firstNewline < j) {
        const lastNewline = text.lastIndexOf('\n', j - 1);
        if (firstNewline > i) this.print(text.slice(i, firstNewline));
        this.newline();
        // Lines between the first and the last newline start on an empty line with nothing to overwrite.
        if (lastNewline > firstNewline) this.committed.push(text.slice(firstNewline + 1, lastNewline + 1));
        i = lastNewline + 1;
      }
      if (j > i) this.print(i === 0 && j === length ? text : text.slice(i, j));
      if (j === length) return;
      i = code === CR ? this.redraws(text, j) : this.special(text, j, code);
    }
  }

  /**
   * Applies the carriage returns and printable text from `at` on, up to the next other control, newline or
   * escape; returns where that is. A progress bar redraws its line many times between newlines: found in one
   * step, the redraws cost no search each.
   */
  private redraws(text: string, at: number): number {
    CR_REDRAWS.lastIndex = at;
    CR_REDRAWS.test(text);
    const end = CR_REDRAWS.lastIndex;
    for (let cr = at; cr < end; ) {
      this.col = 0;
      const next = text.indexOf('\r', cr + 1);
      const runEnd = next === -1 || next > end ? end : next;
      if (runEnd > cr + 1) this.print(text.slice(cr + 1, runEnd));
      cr = runEnd;
    }
    return end;
  }

  /**
   * Takes out what changes nothing on screen: CR right before LF (so whole CRLF lines take the fast path) and
   * colour codes, by far the most common escapes (so coloured lines do too). Colour codes are only taken out when
   * that gives exactly what the state machine would: the text starts in the ground state and every escape in it
   * is a complete CSI sequence, so each one is met in the ground state and a colour code does nothing there.
   */
  private simplified(text: string): string {
    let at = text.indexOf('\x1b');
    if (at === -1 || this.state !== GROUND || C1_INTRODUCER.test(text)) {
      return withoutCrBeforeLf(text);
    }
    let colourCodes = false;
    while (at !== -1) {
      if (colourCodeEnd(text, at) !== -1) {
        colourCodes = true;
      } else {
        CSI_SEQUENCE.lastIndex = at;
        if (!CSI_SEQUENCE.test(text)) return withoutCrBeforeLf(text);
      }
      at = text.indexOf('\x1b', at + 1);
    }
    // One pass takes out both, one copy of the text instead of two.
    return text.replace(colourCodes ? CR_BEFORE_LF_OR_COLOUR_CODE : CRLF, colourCodes ? '' : '\n');
  }

  /** Handles the control at `at`; returns where plain text may resume. */
  private special(text: string, at: number, code: number): number {
    if (code === ESC) {
      // A whole CSI sequence (colours above all) in one step; a split or unusual one goes through the state machine.
      CSI_SEQUENCE.lastIndex = at;
      const csi = CSI_SEQUENCE.exec(text);
      if (csi) {
        if (csi[2] !== 'm') {
          this.csiParams = csi[1] ?? '';
          this.csi(text.charCodeAt(CSI_SEQUENCE.lastIndex - 1));
        }
        return CSI_SEQUENCE.lastIndex;
      }
    }
    this.ground(code);
    return at + 1;
  }

  /** Text of the lines finished since the last call, each ending in `\n` (soft-wrapped pieces have none). */
  takeCommitted(): string {
    const pieces = this.takeCommittedPieces();
    return pieces.length === 1 ? (pieces[0] ?? '') : pieces.join('');
  }

  /** The same as `takeCommitted`, as pieces to concatenate: saves a copy when they are joined again later. */
  takeCommittedPieces(): string[] {
    const out = this.committed;
    if (out.length > 0) this.committed = [];
    return out;
  }

  /** The line the cursor is on, as a terminal shows it now (progress bars in their latest state). */
  currentLine(): string {
    return this.line;
  }

  /** Ends the stream: the unfinished line (if any) is committed without a newline, and returned with the rest. */
  end(): string {
    this.committed.push(this.line);
    this.line = '';
    this.col = 0;
    this.state = GROUND;
    return this.takeCommitted();
  }

  private print(run: string): void {
    const line = this.line;
    const col = this.col;
    if (col === 0 && run.length >= line.length) {
      // A progress bar redrawn after CR: the new state covers the old one.
      this.line = run;
    } else if (col === line.length) {
      this.line = line + run;
    } else if (col > line.length) {
      this.line = line + ' '.repeat(col - line.length) + run;
    } else {
      let before = line.slice(0, col);
      let after = line.slice(col + run.length);
      // Overwriting half of a surrogate pair would leave an unpaired half; a terminal shows a blank cell there.
      if (isHighSurrogate(before.charCodeAt(before.length - 1))) before = `${before.slice(0, -1)} `;
      if (isLowSurrogate(after.charCodeAt(0))) after = ` ${after.slice(1)}`;
      this.line = before + run + after;
    }
    this.col = col + run.length;
    if (this.line.length >= MAX_RENDERED_LINE_CHARS) this.softWrap();
  }

  private softWrap(): void {
    this.committed.push(this.line);
    this.col = Math.max(0, this.col - this.line.length);
    this.line = '';
  }

  private newline(): void {
    this.committed.push(this.line, '\n');
    this.line = '';
    this.col = 0;
  }

  /** Executes a C0/C1 control in the ground state. */
  private ground(code: number): void {
    switch (code) {
      case 0x0a: // LF
      case 0x0b: // VT
      case 0x0c: // FF
      case 0x85: // NEL
        this.newline();
        return;
      case 0x0d:
        this.col = 0;
        return;
      case 0x08:
        this.backspace();
        return;
      case 0x09:
        this.col = Math.min(MAX_RENDERED_LINE_CHARS, (Math.floor(this.col / TAB_WIDTH) + 1) * TAB_WIDTH);
        return;
      case ESC:
        this.state = ESCAPE;
        return;
      case 0x9b:
        this.enterCsi();
        return;
      case 0x90: // DCS
      case 0x98: // SOS
      case 0x9d: // OSC
      case 0x9e: // PM
      case 0x9f: // APC
        this.enterControlString();
        return;
      default:
        // BEL, NUL, DEL and the other controls have no visible effect.
        return;
    }
  }

  private backspace(): void {
    if (this.col === 0) return;
    this.col--;
    if (this.col > 0 && isLowSurrogate(this.line.charCodeAt(this.col))) this.col--;
  }

  private enterCsi(): void {
    this.state = CSI;
    this.csiParams = '';
  }

  private enterControlString(): void {
    this.state = CONTROL_STRING;
    this.controlStringLength = 0;
  }

  /** One character while inside an escape sequence or control string. */
  private escapeStep(code: number): void {
    switch (this.state) {
      case ESCAPE:
        this.afterEscape(code);
        return;
      case ESCAPE_INTERMEDIATE:
        if (code >= 0x30 && code <= 0x7e) this.state = GROUND;
        else if (code < 0x20) this.controlInsideSequence(code);
        return;
      case CSI:
        if (code >= 0x40 && code <= 0x7e) {
          this.state = GROUND;
          this.csi(code);
        } else if (code >= 0x20 && code <= 0x3f) {
          if (this.csiParams.length < MAX_CSI_PARAM_CHARS) this.csiParams += String.fromCharCode(code);
        } else if (code < 0x20) {
          this.controlInsideSequence(code);
        } else {
          this.state = GROUND;
        }
        return;
      case CONTROL_STRING:
        if (code === 0x07 || code === 0x9c || code === 0x18 || code === 0x1a) this.state = GROUND;
        else if (code === ESC) this.state = CONTROL_STRING_ESCAPE;
        else if (++this.controlStringLength > MAX_CONTROL_STRING_CHARS) this.state = GROUND;
        return;
      case CONTROL_STRING_ESCAPE:
        // ESC \ is the string terminator; ESC followed by anything else starts a new sequence.
        if (code === 0x5c) this.state = GROUND;
        else this.afterEscape(code);
        return;
      default:
        return;
    }
  }

  /** Terminals execute C0 controls that arrive in the middle of a sequence; CAN/SUB abort it, ESC restarts it. */
  private controlInsideSequence(code: number): void {
    if (code === 0x18 || code === 0x1a) this.state = GROUND;
    else if (code === ESC) this.state = ESCAPE;
    else {
      const resume = this.state;
      this.ground(code);
      this.state = resume;
    }
  }

  private afterEscape(code: number): void {
    if (code === 0x5b) {
      this.enterCsi();
    } else if (code === 0x5d || code === 0x50 || code === 0x58 || code === 0x5e || code === 0x5f) {
      this.enterControlString();
    } else if (code >= 0x20 && code <= 0x2f) {
      this.state = ESCAPE_INTERMEDIATE;
    } else if (code < 0x20) {
      this.state = ESCAPE;
      this.controlInsideSequence(code);
    } else {
      this.state = GROUND;
      if (code === 0x45) this.newline(); // ESC E (NEL)
    }
  }

  private csi(final: number): void {
    // Private sequences (`ESC[?25l`, `ESC[>c`) never move the cursor within a line.
    const first = this.csiParams.charCodeAt(0);
    if (first >= 0x3c && first <= 0x3f) return;
    switch (final) {
      case 0x4b: // K: erase in line
        this.eraseInLine(this.param(0));
        return;
      case 0x43: // C: cursor forward
        this.col = Math.min(MAX_RENDERED_LINE_CHARS, this.col + Math.max(1, this.param(0)));
        return;
      case 0x44: // D: cursor back
        this.col = Math.max(0, this.col - Math.max(1, this.param(0)));
        return;
      case 0x47: // G: cursor to column
      case 0x60: // `: same, as HPA
        this.col = Math.min(MAX_RENDERED_LINE_CHARS, Math.max(1, this.param(0)) - 1);
        return;
      default:
        return;
    }
  }

  private eraseInLine(mode: number): void {
    if (mode === 0) {
      this.line = this.line.slice(0, this.col);
    } else if (mode === 1) {
      const blanks = Math.min(this.col + 1, this.line.length);
      this.line = ' '.repeat(blanks) + this.line.slice(blanks);
    } else if (mode === 2) {
      this.line = '';
    }
  }

  /** The first numeric CSI parameter; 0 when absent. */
  private param(index: number): number {
    const value = Number.parseInt(this.csiParams.split(';')[index] ?? '', 10);
    return Number.isFinite(value) ? value : 0;
  }
}

/**
 * Where the colour code (SGR: `ESC [`, up to 32 digits, `;` or `:`, then `m`) starting at `at` ends, or -1.
 * Checked by hand: a regular expression call for each of the many colour codes costs more than the check.
 */
function colourCodeEnd(text: string, at: number): number {
  if (text.charCodeAt(at + 1) !== 0x5b) return -1;
  const limit = Math.min(text.length, at + 2 + MAX_SGR_PARAM_CHARS + 1);
  for (let k = at + 2; k < limit; k++) {
    const code = text.charCodeAt(k);
    if (code === 0x6d) return k + 1;
    if (code < 0x30 || code > 0x3b) return -1;
  }
  return -1;
}

function withoutCrBeforeLf(text: string): string {
  return text.includes('\r\n') ? text.replace(CRLF, '\n') : text;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
