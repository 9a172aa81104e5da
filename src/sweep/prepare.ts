import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { UserError } from '../errors.js';
import { hardwareSources, loadHardware, modelOnBoard, type Hardware } from '../backends/index.js';
import { loadModel, type Model } from '../model/index.js';
import { modelSource } from '../model/load.js';
import { parseCaseList } from '../profiler/index.js';
import type { ContentCache } from '../util/cache.js';
import { contentHash } from '../util/hash.js';
import { canonicalJson } from '../util/json.js';
import { TOOL_VERSION } from '../version.js';
import type { PointJob } from './evaluate.js';
import { evaluationsFor, OBJECTIVE_NAMES, type Evaluation } from './objectives.js';
import type { PointInputs, SweepPoint } from './points.js';
import { reportedObjectives, type SweepSpec } from './spec.js';

/*
 * From a point to its job: the content hash it is stored under, and the
 * board and model loaded and checked. Loading happens here, in the
 * submitting process, so that a job is self-contained data (a queue worker
 * on another machine needs none of the files), and so that a configuration
 * the loader refuses fails the point before any work is spent on it.
 */

/** Bump when what a point computes or stores changes, so that earlier results are not reused. */
const POINT_REVISION = 3;

export class PointPreparer {
  private readonly evaluations: readonly Evaluation[];
  private readonly digests = new Map<string, string>();
  private readonly models = new Map<string, Model>();

  constructor(
    private readonly spec: SweepSpec,
    /** The parse cache hardware loads go through. */
    private readonly cache?: ContentCache | undefined,
  ) {
    this.evaluations = evaluationsFor(reportedObjectives(spec));
  }

  /**
   * The point's content hash: the tool and point revisions, every input of
   * the point, the text of every board and model file it reads, and what is
   * evaluated (each objective the code knows, so that a new one recomputes).
   */
  key(point: SweepPoint): string {
    const { inputs } = point;
    return contentHash(
      TOOL_VERSION,
      String(POINT_REVISION),
      canonicalJson(inputs),
      this.digest('board', inputs.board, (path) => hardwareSources(path).map((source) => source.text)),
      this.digest('model', inputs.model, (path) => [modelSource(path).text]),
      this.evaluations.join(','),
      OBJECTIVE_NAMES.join(','),
    );
  }

  /** The point's job; a UserError when its board, model, precision or case is refused. */
  job(point: SweepPoint, key: string): PointJob {
    const { inputs } = point;
    const hardware = loadHardware(this.resolve(inputs.board), { cache: this.cache, overrides: inputs.set });
    const cases = parseCaseList(inputs.case);
    return { key, index: point.index, hardware, model: this.model(inputs, hardware), case: cases[0]!, exact: inputs.exact, serving: inputs.serving, evaluations: this.evaluations };
  }

  private model(inputs: PointInputs, hardware: Hardware): Model {
    let model = this.models.get(inputs.model);
    if (model === undefined) {
      model = loadModel(this.resolve(inputs.model)).model;
      this.models.set(inputs.model, model);
    }
    // No precision given: the model's own, or the board's default where the board refuses it (a GPU given FlightLLM's int8 mapping runs FP16).
    return modelOnBoard(model, hardware, { precision: inputs.precision }).model;
  }

  /** A file named relative to the spec is found beside it; otherwise as given (a path, or a shipped name). */
  private resolve(pathOrName: string): string {
    const directory = this.spec.directory;
    if (directory === undefined || isAbsolute(pathOrName)) return pathOrName;
    const beside = join(directory, pathOrName);
    return existsSync(beside) ? beside : pathOrName;
  }

  /** A hash of the files a board or model is read from; one that cannot be read hashes its error (the point then fails loading). */
  private digest(kind: string, pathOrName: string, texts: (path: string) => string[]): string {
    const id = `${kind}:${pathOrName}`;
    let digest = this.digests.get(id);
    if (digest === undefined) {
      try {
        digest = contentHash(...texts(this.resolve(pathOrName)));
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        digest = contentHash('unreadable', error.message);
      }
      this.digests.set(id, digest);
    }
    return digest;
  }
}
