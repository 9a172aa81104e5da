#!/usr/bin/env bash
# A sweep as a Slurm job array: one shard per array task.
#
#   jobid=$(sbatch --parsable docs/examples/sweeps/slurm-array.sh)
#   sbatch --dependency=afterok:$jobid --wrap \
#     'npx fpga-llm-sim sweep merge --allow-failures --out results/vhk158-hbm-clock-mpe results/vhk158-hbm-clock-mpe/shard-*'
#
# The example's 75 points at matrix-matrix parallelism 4 are refused (a
# result of the sweep, reasons in results.csv): --allow-failures lets a
# task with refused points exit 0, so that afterok still merges.
#
# fpga-llm-sim reads SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and
# SLURM_ARRAY_TASK_COUNT itself: task k of the array runs every n-th point
# from the (k - min)-th. A task that is requeued or rerun skips the points
# its directory already holds.
#SBATCH --job-name=fpga-llm-sim-sweep
#SBATCH --array=0-3
#SBATCH --cpus-per-task=8
#SBATCH --time=01:00:00
#SBATCH --output=sweep-%A_%a.log
set -euo pipefail

SPEC=${SPEC:-ir/sweeps/vhk158-hbm-clock-mpe.yaml}
OUT=${OUT:-results/vhk158-hbm-clock-mpe}

npx fpga-llm-sim sweep "$SPEC" --allow-failures --jobs "${SLURM_CPUS_PER_TASK:-1}" --out "$OUT/shard-$SLURM_ARRAY_TASK_ID"
