/** The pure SSM data-channel codec: frames, MessageIds and JSON payloads. */
export * from './agent-message.js';
export * from './errors.js';
export * from './frames.js';
export * from './layout.js';
export * from './payloads.js';
export * from './uuid.js';
