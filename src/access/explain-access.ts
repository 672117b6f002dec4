import type { Decision } from '../policy/index.js';

export interface AccessExplanationResult extends Decision {
  principalId: string;
  resourceId: string;
}
