import { fakeChars, HEX, prefixedToken, type SecretRuleSpec, s } from './rule-spec.js';

/** Chat, email and messaging: Slack, Discord, Teams, Telegram, Twilio, SendGrid, Mailgun, Mailchimp, Brevo. */

export const MESSAGING_RULES: readonly SecretRuleSpec[] = [
  {
    id: 'slack-token',
    description: 'Slack bot, user, app, configuration and legacy tokens (xoxb-, xoxp-, xapp-, xoxe-, ...)',
    keywords: ['xox', 'xapp-'],
    pattern: String.raw`(?<![A-Za-z0-9_])(?:xox[a-z](?:\.xox[bp])?|xapp)-[A-Za-z0-9-]{6,1024}`,
    partial: '(?<![A-Za-z0-9_])(?:xox[a-z]|xapp)-[A-Za-z0-9-]*',
    examples: {
      redact: [
        `SLACK_BOT_TOKEN=${s(`${'xox'}b-1234567890-0987654321-${fakeChars(24, undefined, 70)}`)}`,
        `token: ${s(`${'xa'}pp-1-A0123ABCDEF-1234567890123-${fakeChars(64, HEX, 71)}`)}`,
      ],
      keep: ['xoxo hugs', 'xapp-'],
    },
  },
  {
    id: 'slack-webhook-url',
    description: 'Slack incoming webhook / workflow trigger URL',
    keywords: ['hooks.slack.com/'],
    pattern: String.raw`(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{20,120}`,
    examples: {
      redact: [
        `SLACK_WEBHOOK=${s(`https://hooks.slack.com/services/T0123ABCD/B0456EFGH/${fakeChars(24, undefined, 72)}`)}`,
      ],
      keep: ['docs: https://api.slack.com/messaging/webhooks'],
    },
  },
  {
    id: 'discord-webhook-url',
    description: 'Discord webhook URL',
    keywords: ['/api/webhooks/'],
    pattern: String.raw`https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/[A-Za-z0-9_-]{60,80}`,
    examples: {
      redact: [s(`https://discord.com/api/webhooks/123456789012345678/${fakeChars(68, undefined, 73)}`)],
      keep: ['POST /api/webhooks/ 404'],
    },
  },
  {
    id: 'teams-webhook-url',
    description: 'Microsoft Teams incoming webhook URL',
    keywords: ['.webhook.office.com/'],
    pattern: String.raw`https://[a-z0-9-]{1,63}\.webhook\.office\.com/webhookb2/[A-Za-z0-9@/-]{40,300}`,
    examples: {
      redact: [
        s(
          `https://acme.webhook.office.com/webhookb2/${fakeChars(8, HEX, 74)}-1111-2222-3333-${fakeChars(12, HEX, 75)}@${fakeChars(8, HEX, 76)}-4444-5555-6666-${fakeChars(12, HEX, 77)}/IncomingWebhook/${fakeChars(32, HEX, 78)}/${fakeChars(8, HEX, 79)}-7777-8888-9999-${fakeChars(12, HEX, 80)}`,
        ),
      ],
      keep: ['outlook.webhook.office.com/ is the host'],
    },
  },
  {
    id: 'telegram-bot-token',
    description: 'Telegram bot token (digits:AA...)',
    keywords: [':AA'],
    pattern: '(?<![0-9])[0-9]{8,10}:AA[0-9A-Za-z_-]{33}(?![0-9A-Za-z_-])',
    examples: {
      redact: [`TELEGRAM_BOT_TOKEN=${s(`1234567890:AA${fakeChars(33, undefined, 81)}`)}`],
      keep: ['12:AA battery'],
    },
  },
  prefixedToken('twilio-api-key', 'Twilio API key SID', ['SK'], '[0-9a-fA-F]{32}', {
    redact: [`TWILIO_API_KEY=${s(`SK${fakeChars(32, HEX, 82)}`)}`],
    keep: ['SKU-1234 in stock'],
  }),
  prefixedToken('sendgrid-api-key', 'SendGrid API key', ['SG.'], String.raw`[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}`, {
    redact: [`SENDGRID_API_KEY=${s(`SG.${fakeChars(22, undefined, 83)}.${fakeChars(43, undefined, 84)}`)}`],
    keep: ['SG.1 region'],
  }),
  prefixedToken('mailgun-api-key', 'Mailgun API key', ['key-'], '[a-f0-9]{32}', {
    redact: [`MAILGUN_API_KEY=${s(`key-${fakeChars(32, HEX, 85)}`)}`],
    keep: ['key-value store'],
  }),
  {
    id: 'mailchimp-api-key',
    description: 'Mailchimp API key (32 hex then the data centre)',
    keywords: ['-us'],
    pattern: '(?<![A-Za-z0-9])[0-9a-f]{32}-us[0-9]{1,2}(?![A-Za-z0-9])',
    examples: {
      redact: [`MAILCHIMP_API_KEY=${s(`${fakeChars(32, HEX, 86)}-us21`)}`],
      keep: ['region eu-west-1 and us-east-1'],
    },
  },
  prefixedToken(
    'brevo-api-key',
    'Brevo (Sendinblue) API key',
    ['xkeysib-', 'xsmtpsib-'],
    '[a-f0-9]{64}-[A-Za-z0-9]{16}',
    {
      redact: [`BREVO_API_KEY=${s(`xkeysib-${fakeChars(64, HEX, 87)}-${fakeChars(16, undefined, 88)}`)}`],
      keep: ['xkeysib-x'],
    },
  ),
];
