import { runPointJob, type PointJob } from './evaluate.js';

/** Piscina worker entry: one sweep point per task. */
export default (job: PointJob) => runPointJob(job);
