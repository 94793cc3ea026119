/** The config file sketch of product.md §4, verbatim: the product promises it validates and behaves as written. */
export const PRODUCT_SKETCH = `clusters:
  prod:
    cluster: arn:aws:ecs:eu-west-1:111122223333:cluster/prod
    region: eu-west-1
    roleArn: arn:aws:iam::111122223333:role/ecs-exec-bot   # optional; assumed per request, SourceIdentity = Slack user
    shell: /bin/sh                                          # wraps commands to recover the exit code; "none" = no wrap
  staging: { cluster: staging, region: eu-west-1 }

groups:
  sre:      { usergroups: [S0123SRE], users: [U01ADMIN] }
  oncall:   { usergroups: [S0456ONCALL] }
  everyone: { users: ["*"] }

rules:                       # explicit deny wins; no matching allow = deny
  - name: no-destructive
    effect: deny
    commands: ["rm -rf *", "/DROP\\\\s+TABLE/i"]
  - name: staging-open
    effect: allow
    who: [everyone]
    channels: [C0STAGING]
    targets: ["staging/*"]
    commands: ["*"]
  - name: prod-with-approval
    effect: allow
    who: [sre, oncall]
    targets: ["prod/*"]
    commands: ["*"]
    approval: { approvers: [sre], count: 1, selfApproval: false, ttl: 30m }
    breakGlass: true

runbooks:
  restart-worker:
    description: Restart the background worker
    target: prod/worker:app
    command: supervisorctl restart {{process}}
    params:
      process: { type: enum, values: [sidekiq, resque], default: sidekiq }
    who: [oncall, sre]
    approval: none
    timeout: 2m
  tail-log:
    target: "{{cluster}}/{{service}}"
    command: tail -n {{lines}} /var/log/app.log
    params:
      cluster: { type: enum, values: [prod, staging] }
      service: { type: string, pattern: "^[a-z0-9-]+$" }
      lines:   { type: int, min: 1, max: 5000, default: 200 }

limits: { timeout: 10m, maxOutputBytes: 10MiB, previewLines: 40 }
audit:  { channel: C0AUDIT }
`;
