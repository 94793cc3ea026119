/**
 * The layer rules of ecs-exec-bot, checked by `npm run lint:deps` (part of `npm test`). The README's "Architecture"
 * section says the same in words; change both together.
 */

/** Chat adapters: our Slack folder and Slack's own packages. */
const SLACK = ['^src/slack/', '(^|/)node_modules/@slack/', '^@slack/'];

/** The composition roots: the only modules that build adapters for the product. */
const COMPOSITION_ROOTS = ['^src/main\\.ts$', '^src/cli/', '^src/playground/'];

/**
 * Modules that talk to the outside world (Redis, AWS, Slack, WebSockets). Others receive them through ports; the
 * engine over AWS clients (`ecs/exec-engine.ts`) assembles the per-region ones from the factory it is given.
 */
const ADAPTERS = [
  '^src/approval/(redis|memory)-approval-store\\.ts$',
  '^src/approval/run-signals\\.ts$',
  '^src/ecs/aws-[a-z-]+\\.ts$',
  '^src/ecs/exec-engine\\.ts$',
  '^src/ssm/aws-[a-z-]+\\.ts$',
  '^src/ssm/ws-transport\\.ts$',
  '^src/slack/(app|web-slack-notifier|slack-people|slack-user-group-resolver|replay-guard|bot-identity|audit-channel|http-server)\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, type-only ones included: each module has one place in the layers.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'codec-self-contained',
      severity: 'error',
      comment:
        'The SSM wire codec is pure: it imports only itself, Node built-ins and the product-wide error base ' +
        '(src/errors.ts, which imports nothing).',
      from: { path: '^src/ssm/codec/' },
      to: { pathNot: ['^src/ssm/codec/', '^src/errors\\.ts$'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'product-not-sandbox',
      severity: 'error',
      comment:
        'The emulators are reached only by the playground (its local stack) and the `ecs-exec sandbox` command; ' +
        'the product never depends on them.',
      from: { path: '^src/', pathNot: ['^src/sandbox/', '^src/playground/', '^src/cli/commands/sandbox\\.ts$'] },
      to: { path: '^src/sandbox/' },
    },
    {
      name: 'product-not-playground',
      severity: 'error',
      comment: 'Only `ecs-exec serve` starts the playground.',
      from: { path: '^src/', pathNot: ['^src/playground/', '^src/cli/commands/serve\\.ts$'] },
      to: { path: '^src/playground/' },
    },
    {
      name: 'workflow-chat-neutral',
      severity: 'error',
      comment: 'The request lifecycle speaks through its chat port; Slack is one adapter of it.',
      from: { path: '^src/workflow/' },
      to: { path: SLACK },
    },
    {
      name: 'lower-layers-not-slack',
      severity: 'error',
      comment: 'Approval, ECS, SSM and output know nothing of Slack.',
      from: { path: '^src/(approval|ecs|ssm|output)/' },
      to: { path: SLACK },
    },
    {
      name: 'adapters-built-by-composition-root',
      severity: 'error',
      comment:
        'Only main.ts, the CLI and the playground construct adapters; elsewhere they arrive through ports ' +
        '(a type-only import of an adapter is fine, and so is one adapter built from its own folder’s parts).',
      from: { path: '^src/([^/]+)/', pathNot: [...COMPOSITION_ROOTS, ...ADAPTERS] },
      to: { path: ADAPTERS, pathNot: '^src/$1/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle through types is still a tangle, and the chat rules hold for types too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
