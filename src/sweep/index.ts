export { SweepSpecSchema, SERVING_FIELDS, MAX_SWEEP_POINTS, loadSweepSpec, parseSweepSpec, reportedObjectives, type SweepSpec, type ServingSettings, type ServingKey, type Sampling, type AxisValues, type Range } from './spec.js';
export { OBJECTIVES, OBJECTIVE_NAMES, EVALUATIONS, objectiveNamed, evaluationsFor, objectiveValues, type Objective, type ObjectiveName, type ObjectiveInput, type Evaluation, type PointEvaluations } from './objectives.js';
export { sweepPoints, eachPoint, pointCount, shardPoints, axisColumns, precisionLabel, type SweepPoint, type PointInputs, type Shard, type Scalar } from './points.js';
export { runPointJob, type PointJob, type PointOutcome } from './evaluate.js';
export { PointPreparer } from './prepare.js';
export { canonicalJson } from '../util/json.js';
export { PointStore, type StoredPoint, type PointStoreOptions } from './store.js';
export { sweep, localPool, type SweepOptions, type SweepResult, type SweepRow, type SweepProgress, type PointExecutor, type PointStatus } from './run.js';
export {
  sweepTable,
  writeSweepTable,
  sweepTableFiles,
  readSweepTable,
  mergeSweepTables,
  tableCsv,
  tableObjectives,
  specHash,
  RESULTS_CSV,
  RESULTS_PARQUET,
  MANIFEST,
  type SweepTable,
  type SweepManifest,
  type TableRow,
  type Column,
  type ColumnType,
  type Cell,
} from './table.js';
export { paretoFront, bestRow, dominates, rankable, withinConstraints, type Ranked, type Constraints } from './pareto.js';
export { paretoSpec, heatmapSpec, heatmapSlice, defaultHeatmap, inputColumns, FRONT, DOMINATED, type HeatmapOptions } from './figures.js';
export { queueExecutor, runQueueWorker, parseRedisUrl, checkRedis, checkQueueName, DEFAULT_QUEUE_NAME, NO_WORKER_TIMEOUT_MS, type RedisAddress, type QueueSubmitOptions, type QueueWorkerOptions } from './queue.js';
