/** One element of a command glob: a literal character, `?` (one ordinary character), `*` (a run of them) or `**`. */
export type GlobToken = { kind: 'char'; code: number } | { kind: 'one' } | { kind: 'star' } | { kind: 'any' };

/** A glob as tokens; `optionalTail` when it ends in ` *` or ` **`, which may then be absent altogether. */
export interface TokenizedGlob {
  tokens: GlobToken[];
  optionalTail: boolean;
}

export function tokenizeGlob(glob: string): TokenizedGlob {
  // `rm -rf *` should also catch a bare `rm -rf`: the trailing ` *` (or ` **`) may be absent.
  const optionalTail = / \*{1,2}$/.test(glob);
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const code = glob.charCodeAt(i);
    if (code === 42 /* * */) {
      const any = glob.charCodeAt(i + 1) === 42;
      if (any) i++;
      const last = tokens[tokens.length - 1];
      // Adjacent stars are one star (the wider wins); the automaton then needs a single closure step.
      if (last?.kind === 'star' || last?.kind === 'any') {
        if (any) tokens[tokens.length - 1] = { kind: 'any' };
      } else tokens.push({ kind: any ? 'any' : 'star' });
    } else if (code === 63 /* ? */) tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', code });
  }
  return { tokens, optionalTail };
}
