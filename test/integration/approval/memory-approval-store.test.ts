import { MemoryApprovalStore } from '../../../src/approval/memory-approval-store.js';
import { approvalStoreContract } from './approval-store.contract.js';

approvalStoreContract('MemoryApprovalStore', async ({ clock, newId }) => ({
  store: new MemoryApprovalStore(newId ? { clock, newId } : { clock }),
  cleanup: async () => {},
}));
