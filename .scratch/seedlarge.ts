import { DATASETS } from '../bench/dataset.js';
import { prepare } from '../bench/harness.js';
await prepare(DATASETS.large);
