import type { JsonObject } from '../types.js';
import type { MethodResult } from '../workspace-state.js';

/** Web API methods by name (`chat.postMessage`), each taking the call's arguments. */
export type MethodTable = Record<string, (args: JsonObject) => MethodResult>;
