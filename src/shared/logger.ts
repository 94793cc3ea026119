/** The logging port: pino's Logger. The product's redacting logger is built in src/output/redacting-logger.ts. */
export type { Logger } from 'pino';
