export { serve, type ServeOptions, type ServeResult, type RequestRecord } from './serve.js';
export { generateRequests, arrivalTimes, DATASET_NAMES, WORKLOAD_DEFAULTS, type WorkloadOptions, type DatasetName } from './workload.js';
export { createPolicy, POLICY_NAMES, type BatchPolicy, type PolicyName, type PolicyOptions, type SchedulerView, type ScheduledStep } from './policies.js';
export { KvBlockManager, type KvCacheOptions, type BlockTable } from './kv-cache.js';
export { runLoop, type LoopOptions, type LoopTotals, type StepRecord } from './loop.js';
export { percentile, mean, std, summary } from './metrics.js';
export { BlockHasher, uniquePrompt, uniqueOutput, type RequestSpec, type Segment } from './request.js';
export { Sequence } from './sequence.js';
