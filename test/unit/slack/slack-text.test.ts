import { describe, expect, it } from 'vitest';
import { neutraliseSlackText } from '../../../src/slack/slack-text.js';

describe('neutraliseSlackText', () => {
  it.each([
    ['<!channel> deploy done', '&lt;!channel&gt; deploy done'],
    ['<!here|here>', '&lt;!here|here&gt;'],
    ['ping <@U123ABC>', 'ping &lt;@U123ABC&gt;'],
    ['<https://evil.example|click me>', '&lt;https://evil.example|click me&gt;'],
    ['<!subteam^S123>', '&lt;!subteam^S123&gt;'],
    ['a && b > c', 'a &amp;&amp; b &gt; c'],
    ['already &lt; escaped', 'already &amp;lt; escaped'],
    ['```closing fence', '`\u200b`\u200b`closing fence'],
  ])('%j becomes inert', (input, expected) => {
    const out = neutraliseSlackText(input);
    expect(out).toBe(expected);
    expect(out).not.toMatch(/[<>]|```/);
  });
});
