export { compareBoards, boardsTable, type BoardRow, type ServedFigures, type BoardsComparisonOptions } from './boards.js';
export { loadMeasuredRuns, simulateMeasured, servingComparisonTable, measuredFromVllm, measuredFromCsv, measuredTokensPerJoule, type MeasuredRun, type ServingComparisonRow } from './serving.js';
