import { MemoryApprovalStore } from '../../../src/approval/memory-approval-store.js';
import { approvalStoreContract } from './approval-store.contract.js';
import { requestEventsContract } from './request-events.contract.js';

approvalStoreContract('MemoryApprovalStore', async ({ clock, newId }) => ({
  store: new MemoryApprovalStore(newId ? { clock, newId } : { clock }),
  cleanup: async () => {},
}));

requestEventsContract('MemoryApprovalStore', async ({ clock }) => ({
  store: new MemoryApprovalStore({ clock }),
  cleanup: async () => {},
}));
