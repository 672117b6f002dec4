import type { ApiKeyRow } from './api-keys.table.js';

export interface CreatedApiKeyResult {
  apiKey: ApiKeyRow;
  secret: string;
}
