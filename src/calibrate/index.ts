export { calibrate, FIT_PARAMETERS, type Calibration, type CalibrationOptions, type FitParameter, type ObservationFit } from './fit.js';
export { gpuProfileObservations, vllmObservations, loadVllmResult, concurrencyOf, VllmResultSchema, type Observation, type VllmResult } from './measurements.js';
export { overlayYaml, type OverlayOptions } from './overlay.js';
export { goodputOf, requestRateOf } from './measurements.js';
export { loadServingCsv, isServingCsvHeader, servingCsvHeader, SERVING_CSV_COLUMNS, type ServingMeasurement } from './serving-csv.js';
