/*
 * fpga-llm-sim: how fast would this LLM run on this FPGA accelerator, where
 * does the time go, and how does that compare with a GPU?
 *
 * The public API, by pipeline stage.
 */

// Hardware descriptions
export {
  loadHardware,
  parseHardware,
  shippedHardwareNames,
  checkHardware,
  hardwareKinds,
  registerBackend,
  unregisterBackend,
  parseBoard,
  FlightLlmHardwareSchema,
  DpuHostHardwareSchema,
  RooflineHardwareSchema,
  type Hardware,
  type HardwareKind,
  type FlightLlmHardware,
  type DpuHostHardware,
  type RooflineHardware,
  type LoadHardwareOptions,
} from './backends/index.js';
export { resolveExpressions, MAX_EXPRESSION_LENGTH, MAX_EXPRESSION_DEPTH } from './hardware/index.js';

// FPGA devices: what a design uses, whether it fits
export {
  designOf,
  designFit,
  requireFit,
  checkDesign,
  describeFitLine,
  totalResources,
  FpgaDeviceSchema,
  FPGA_RESOURCES,
  RESOURCE_LABELS,
  FIT_ITEMS,
  type FpgaDevice,
  type FpgaResource,
  type FpgaDesign,
  type DesignPart,
  type DesignFit,
  type FitLine,
  type FitItem,
  type ResourceCounts,
} from './backends/index.js';

// FlightLLM IR and attention masks
export {
  loadIr,
  parseIr,
  loadMask,
  maskDirectory,
  defaultMaskDirectory,
  IrSchema,
  LayerSchema,
  type Ir,
  type Layer,
  type LayerType,
  type Tensor,
  type Param,
  type AttentionMask,
  type MaskLookup,
  type LoadIrOptions,
} from './ir/index.js';

// Models and the compiler
export {
  loadModel,
  parseModel,
  shippedModelNames,
  modelDims,
  weightMatrices,
  parameterCounts,
  routeTokens,
  expectedActiveExperts,
  summarizeRouting,
  parseExpertLoad,
  formatExpertLoad,
  withExpertLoad,
  ModelSchema,
  PrecisionSchema,
  ExpertLoadSchema,
  PRECISION_PRESETS,
  PRECISION_PRESET_NAMES,
  type Model,
  type LoadedModel,
  type ModelDims,
  type ExpertDims,
  type LatentAttentionDims,
  type WeightMatrix,
  type ExpertLoad,
  type ExpertRouting,
  type ExpertStepSummary,
  type AttentionMasks,
  type Projection,
  type Precision,
  type PrecisionPreset,
} from './model/index.js';
export { planMemory, blocksOf, type KvCapacity, type PlanMemoryOptions } from './compiler/index.js';
export { planCards, cardMemory, refuseUnfit, linearRoles, type CardShare, type CardMemory, type LinearRole } from './compiler/index.js';
export { compileModel, boardDefaultPrecision, precisionOnBoard, type PrecisionOnBoard, generateMask, generatedMasks, masksFor, causalDensity, irToYaml, writeIr, writeMasks, maxTokensOf, memoryUse, type CompileOptions, type CompiledIr, type MemoryPlan, type Stage } from './compiler/index.js';

// Instruction set
export {
  MODULES,
  Module,
  LAYOUTS,
  LOAD_TARGETS,
  MISC_OPERATIONS,
  encodeInstruction,
  decodeInstruction,
  toHex,
  fromHex,
  tokenMask,
  maskToNames,
  type ModuleName,
  type FieldValues,
  type DecodedInstruction,
} from './backends/index.js';

// Instruction generation
export {
  planProgram,
  emitProgram,
  generateInstructions,
  planSteps,
  stepName,
  type Program,
  type Step,
  type StepInfo,
  type InstructionSink,
  type StreamSink,
  type LoadInstruction,
  type StoreInstruction,
  type MatrixInstruction,
  type MiscInstruction,
  type SysInstruction,
  type GenerateOptions,
} from './backends/index.js';

// Figures: one paper style for every figure, drawn to SVG and PNG
export { renderSvg, svgToPng, writeFigure, axisTitle, styled, PAPER_CONFIG, PALETTE, DASHES, type VegaLiteSpec } from './figures/index.js';

// Hardware kinds: one backend each (what the compiler must respect, simulation, peaks)
export {
  backendFor,
  compileTarget,
  simulate,
  moduleNamesOf,
  flightllmBackend,
  dpuHostBackend,
  simulateDpuHost,
  DPU_HOST_MODULES,
  rooflineBackend,
  simulateRoofline,
  rooflineKernels,
  kernelsMs,
  ROOFLINE_MODULES,
  type HardwareBackend,
  type BoardDescription,
  type Peaks,
  type SimulationOptions,
  type RowStructure,
  type RowStructureQuery,
  type BoundProduct,
  type Profile,
  type StepProfile,
  type ModuleFigures,
  type TraceCallback,
} from './backends/index.js';
export { weightBitsOf, weightBitsPerElement, type CompileTarget, type LoweringTarget, type MemoryPool, type MemoryContent, type MaskGeometry, type PrecisionDtypes } from './compiler/index.js';

// Simulation of FlightLLM's architecture, instruction by instruction
export {
  simulateIr,
  simulateProgram,
  latencyModel,
  type SimulateOptions,
  type LatencyModel,
} from './backends/index.js';
export { profileToCsv, parseProfileCsv } from './profiler/csv.js';
export { TraceWriter } from './profiler/trace.js';

// Batched steps: shapes and what a step costs
export { prefillShape, decodeShape, stepForm, batchRows, formatBatch, checkBatch, type BatchShape, type SequenceShape, type StepForm } from './batch.js';
export { createStepCostModel, measureStep, measuredEnergy, type StepCost, type ExactStepCost, type StepCostModel, type StepCostOptions, type MeasuredStep, type MeasureOptions } from './cost/index.js';

// A model as it runs on a board: precision fallback and labels
export { modelOnBoard, withPrecision, precisionLabel, modelLabel, deviceLabel, type ModelOnBoard, type PrecisionRequest } from './backends/index.js';

// Many cards: tensor, pipeline and data parallelism over a board's interconnect
export {
  SINGLE_CARD,
  parallelLayout,
  replicaCards,
  totalCards,
  isMultiCard,
  checkLayout,
  assertLayout,
  describeLayout,
  shardModel,
  stageLayers,
  collectiveCost,
  COLLECTIVES,
  stageCollectives,
  splitMicroBatches,
  schedulePipeline,
  parallelStepEnergy,
  layoutDollarsPerHour,
  layoutTokensPerDollar,
  layoutIdleJoules,
  createParallelStepCostModel,
  LINK_MODULE,
  type ParallelLayout,
  type StageShard,
  type ShardOptions,
  type Collective,
  type CollectiveRequest,
  type CollectiveCost,
  type CollectiveTally,
  type PipelineSchedule,
  type ParallelOptions,
  type ParallelStepCostOptions,
  type ParallelStepCost,
  type ParallelStepCostModel,
  type ParallelFigures,
  type StageFigures,
} from './parallel/index.js';
export { InterconnectSchema, TOPOLOGIES, COLLECTIVE_ALGORITHMS, type Interconnect, type Topology, type CollectiveAlgorithm } from './backends/index.js';

// Serving: workloads, batch policies, the paged KV cache, the event loop, vLLM-style metrics
export {
  serve,
  generateRequests,
  benchServing,
  K100_AI_SCENARIOS,
  createPolicy,
  KvBlockManager,
  servingTraceEvents,
  throughputSpec,
  latencyPercentilesSpec,
  distributionSpec,
  tokensPerJouleSpec,
  servingReport,
  SERVING_DEFAULTS,
  LATENCY_METRICS,
  POLICY_NAMES,
  DATASET_NAMES,
  type ServeOptions,
  type ServeResult,
  type ServingResult,
  type VllmRunFields,
  type LatencyFields,
  type SimulatorFields,
  type EnergyFields,
  type SchedulerView,
  type ScheduledStep,
  type RequestRecord,
  type RequestSpec,
  type WorkloadOptions,
  type BatchPolicy,
  type PolicyName,
  type Scenario,
  type BenchPoint,
  type StepRecord,
  type VllmRunSettings,
} from './serving/index.js';

// Energy and cost
export { dynamicJoules, powerLimitedMs, stepEnergy, idleJoules, energyReport, tokensPerDollar, fpgaPower, fpgaLogicJoules, type EnergyFigures, type EnergyReport, type StepActivity, type FpgaPower } from './energy/index.js';

// Calibrating GPU and ASIC boards to measurements
export {
  calibrate,
  FIT_PARAMETERS,
  gpuProfileObservations,
  vllmObservations,
  loadVllmResult,
  loadServingCsv,
  overlayYaml,
  goodputOf,
  type Calibration,
  type CalibrationOptions,
  type Observation,
  type VllmResult,
  type ServingMeasurement,
} from './calibrate/index.js';

// Physical lower bounds (roofline)
export { physicalBound, workOn, boundOfWork, irWork, type Bound, type BoundOptions, type IrWork } from './bound/index.js';

// Profiling cases and comparing with GPUs
export {
  profileCases,
  compareWithGpu,
  loadGpuProfile,
  loadCases,
  parseCaseList,
  caseFigures,
  formatCaseTable,
  ResultStore,
  caseLatencySpec,
  caseSpeedupSpec,
  decodeLatencySpec,
  moduleBusySpec,
  profileTable,
  profileDocument,
  type ProfileRun,
  type ProfileDocument,
  type Case,
  type CaseFigures,
  type ProfileOptions,
  type ProfileResult,
  type ProfileSource,
  type GpuProfile,
  type Comparison,
  type ComparedCase,
} from './profiler/index.js';

// Running many simulations, and checking them against FlightLLM
export { runSimulationJobs, runSimulationJob, findReferenceCases, compareProfileCsv, type SimulationJob, type SimulationOutcome, type ReferenceCase, type CsvComparison } from './profiler/index.js';
// FlightLLM's reference data, fetched at a pinned commit and checked by its hash.
export { fetchReference, findReferenceDirectory, fetchedReferenceDirectory, referenceContentHash, FLIGHTLLM_REFERENCE_SOURCE, type ReferenceSource, type FetchedReference } from './profiler/index.js';

// Design-space sweeps: specs, points, objectives, the local pool, shards, a Redis queue, Pareto fronts
export {
  sweep,
  loadSweepSpec,
  parseSweepSpec,
  sweepPoints,
  shardPoints,
  localPool,
  queueExecutor,
  runQueueWorker,
  PointStore,
  sweepTable,
  writeSweepTable,
  readSweepTable,
  mergeSweepTables,
  paretoFront,
  bestRow,
  withinConstraints,
  paretoSpec,
  heatmapSpec,
  OBJECTIVES,
  SweepSpecSchema,
  eachPoint,
  pointCount,
  sweepTableFiles,
  checkQueueName,
  type PointStoreOptions,
  type SweepSpec,
  type SweepOptions,
  type SweepResult,
  type SweepRow,
  type SweepTable,
  type SweepPoint,
  type Objective,
  type PointEvaluations,
  type PointExecutor,
  type Shard,
} from './sweep/index.js';

export { profileParallelCases, type ParallelProfileOptions } from './profiler/index.js';
export { createRouter, ROUTER_NAMES, type ReplicaRouter, type ReplicaLoad, type RouterName, type ParallelServingFields } from './serving/index.js';

// Validation against multi-card measurements
export { validateMultiCard, multiCardPart, shippedMeasurementFiles, type MultiCardValidation, type MultiCardValidationRow, type ValidateMultiCardOptions } from './validate/multi-card.js';

// Errors
export { UserError, ConfigError, IrError, MaskError, ModelError, SimulationError, UsageError, DeviceFitError, OutputError, type Issue } from './errors.js';

// Limits: what a run may ask for (README, "Limits")
export { MAX_BATCH_SEQUENCES } from './batch.js';
export { MAX_YAML_NODES } from './util/yaml.js';
export { MAX_REQUESTS_PER_RUN, MAX_KV_BLOCKS, MAX_SERVING_TIME_MS } from './serving/index.js';
export { MAX_SWEEP_POINTS, NO_WORKER_TIMEOUT_MS } from './sweep/index.js';
export { MAX_THREADS_PER_CORE, maxThreads } from './profiler/index.js';

// Outputs written as a set, caches checked on reading, and version
export { OutputSet, checkOutputPaths, checkOutputDirectory } from './util/output-set.js';
export { ContentCache, defaultCacheDirectory, schemaCheck, type CacheCheck, type CacheRejection, type ContentCacheOptions } from './util/cache.js';
export { TOOL_VERSION } from './version.js';

// Comparisons: every model on every board; measured serving runs beside simulated ones
export { compareBoards, boardsTable, loadMeasuredRuns, simulateMeasured, servingComparisonTable, type BoardRow, type BoardsComparisonOptions, type MeasuredRun, type ServingComparisonRow } from './compare/index.js';

// Notebooks: tables and figures a Jupyter kernel displays
export { table, preformatted, figure, show, JUPYTER_DISPLAY, type Displayable, type Table, type MimeBundle, type Cell } from './display/index.js';
