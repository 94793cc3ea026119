/** One AWS API call the sandbox answered, as tests inspect it. */
export interface RecordedCall {
  service: 'ecs' | 'sts' | 'kms' | 'ssm' | 's3';
  operation: string;
  /** The request body as parsed (JSON for ECS/KMS/SSM, form fields for STS; Bucket and Key for S3). */
  input: Record<string, unknown>;
  region: string;
  account: string;
  accessKeyId: string;
  /** ARN of the caller (an assumed-role ARN for AssumeRole credentials). */
  principalArn: string;
  /** SourceIdentity the caller's credentials carry (set by AssumeRole), or the one an AssumeRole call asked for. */
  sourceIdentity?: string;
  /** Made by the sandbox's own agent (its KMS Decrypt) rather than by a client. */
  byAgent?: boolean;
  /** Error name when the call failed. */
  error?: string;
  at: number;
}
