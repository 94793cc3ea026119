/** What a SigV4 `Authorization` header says about the caller. The signature itself is not checked. */
export interface SigV4Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Parses a SigV4 Authorization header; null when it is missing or malformed. */
export function parseSigV4Authorization(header: string | undefined): SigV4Credential | null {
  if (!header) return null;
  const match = AUTHORIZATION.exec(header.trim());
  if (!match) return null;
  const [, accessKeyId = '', date = '', region = '', service = '', signedHeaders = ''] = match;
  const headers = signedHeaders.split(';');
  // SigV4 always signs the host; a header without it was not produced by a real signer.
  if (!headers.includes('host')) return null;
  return { accessKeyId, date, region, service, signedHeaders: headers };
}
