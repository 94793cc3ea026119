import { fakeChars, HEX, prefixedToken, type SecretRuleSpec, s } from './rule-spec.js';

/** Payments and commerce: Stripe, Square, Shopify, Flutterwave, EasyPost, Shippo, Duffel, Coinbase, Adobe. */

export const PAYMENT_RULES: readonly SecretRuleSpec[] = [
  prefixedToken(
    'stripe-key',
    'Stripe secret and restricted keys (live, test)',
    ['sk_live_', 'sk_test_', 'sk_prod_', 'rk_live_', 'rk_test_', 'rk_prod_'],
    '[a-zA-Z0-9]{10,247}',
    {
      redact: [
        `STRIPE_SECRET_KEY=${s(`sk_live_${fakeChars(99, undefined, 90)}`)}`,
        `stripe.api_key = "${s(`rk_test_${fakeChars(24, undefined, 91)}`)}"`,
      ],
      keep: ['pk_live_ keys are public', 'sk_live_ short'],
    },
  ),
  prefixedToken('stripe-webhook-secret', 'Stripe webhook signing secret', ['whsec_'], '[a-zA-Z0-9+/=]{24,64}', {
    redact: [`STRIPE_WEBHOOK_SECRET=${s(`whsec_${fakeChars(32, undefined, 92)}`)}`],
    keep: ['whsec_ prefix'],
  }),
  prefixedToken(
    'square-token',
    'Square access token and OAuth secret',
    ['sq0atp-', 'sq0csp-', 'EAAA'],
    String.raw`[\w-]{22,60}`,
    {
      redact: [
        `SQUARE_ACCESS_TOKEN=${s(`EAAA${fakeChars(60, undefined, 93)}`)}`,
        `secret ${s(`sq0csp-${fakeChars(43, undefined, 94)}`)}`,
      ],
      keep: ['EAAA short'],
    },
  ),
  prefixedToken(
    'shopify-token',
    'Shopify access tokens and shared secret',
    ['shpat_', 'shpca_', 'shppa_', 'shpss_'],
    '[a-fA-F0-9]{32}',
    {
      redact: [`SHOPIFY_ACCESS_TOKEN=${s(`shpat_${fakeChars(32, HEX, 95)}`)}`],
      keep: ['shpat_x'],
    },
  ),
  prefixedToken(
    'flutterwave-key',
    'Flutterwave secret and encryption keys',
    ['FLWSECK_TEST-', 'FLWSECK-', 'FLWSECK_TEST'],
    '[a-hA-H0-9]{12,32}(?:-X)?',
    {
      redact: [`FLW_SECRET_KEY=${s(`FLWSECK-${fakeChars(32, 'abcdefgh0123456789', 96)}-X`)}`],
      keep: ['FLWSECK-1'],
    },
  ),
  prefixedToken('easypost-api-key', 'EasyPost production and test API keys', ['EZAK', 'EZTK'], '[a-zA-Z0-9]{54}', {
    redact: [`EASYPOST_API_KEY=${s(`EZAK${fakeChars(54, undefined, 97)}`)}`],
    keep: ['EZAK short'],
  }),
  prefixedToken('shippo-token', 'Shippo API token', ['shippo_live_', 'shippo_test_'], '[a-fA-F0-9]{40}', {
    redact: [`SHIPPO_TOKEN=${s(`shippo_live_${fakeChars(40, HEX, 98)}`)}`],
    keep: ['shippo_live_ prefix'],
  }),
  prefixedToken('duffel-token', 'Duffel API token', ['duffel_live_', 'duffel_test_'], '[a-zA-Z0-9_=-]{43}', {
    redact: [`DUFFEL_TOKEN=${s(`duffel_live_${fakeChars(43, undefined, 99)}`)}`],
    keep: ['duffel_test_ prefix'],
  }),
  prefixedToken('adobe-client-secret', 'Adobe client secret', ['p8e-'], '[a-zA-Z0-9]{32}', {
    redact: [`ADOBE_CLIENT_SECRET=${s(`p8e-${fakeChars(32, undefined, 100)}`)}`],
    keep: ['p8e-1'],
  }),
  prefixedToken(
    'planetscale-token',
    'PlanetScale service token, password and OAuth token',
    ['pscale_tkn_', 'pscale_pw_', 'pscale_oauth_'],
    String.raw`[\w=.-]{32,64}`,
    {
      redact: [`DATABASE_PASSWORD=${s(`pscale_pw_${fakeChars(43, undefined, 101)}`)}`],
      keep: ['pscale_pw_ prefix'],
    },
  ),
  prefixedToken(
    'facebook-page-token',
    'Facebook / Meta page access token',
    ['EAAC', 'EAAM', 'EAAG'],
    '[a-zA-Z0-9]{100,400}',
    {
      redact: [`FB_PAGE_TOKEN=${s(`EAAG${fakeChars(150, undefined, 102)}`)}`],
      keep: ['EAAG short'],
    },
  ),
];
