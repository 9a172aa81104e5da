import { runSimulationJob, type SimulationJob } from './jobs.js';

/** Piscina worker entry: one simulation job per task. */
export default (job: SimulationJob) => runSimulationJob(job);
