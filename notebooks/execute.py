"""Executes notebooks headless with nbclient; run by notebooks/run.ts.

Without --update each notebook is executed in memory and the executed copy
written to --out (a temporary directory, removed again when every copy
matches), so checking never rewrites the committed notebooks; a notebook
whose fresh outputs differ from its committed ones is reported as stale,
which is no failure (the simulator's figures may move on before the
notebooks are refreshed). With --update the executed
notebook replaces the committed one. Either way a cell that fails fails the
run, and volatile metadata (execution timings) is never recorded, so running
twice on the same code writes the same file.
"""

import argparse
import copy
import os
import shutil
import sys
from queue import Empty

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

# nbclient's default kernel start-up wait (60 s) is ample for Deno; cells
# may run a few serving or design sweeps, each well under a minute.
CELL_TIMEOUT_S = 300
# How long a cell's output may trail its "idle" status (see DenoNotebookClient).
LATE_OUTPUT_S = 0.3
OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error", "update_display_data", "clear_output"}


class LateOutputError(RuntimeError):
    """An output of a finished cell arrived while a later cell ran."""


class DenoNotebookClient(NotebookClient):
    """nbclient, tolerant of outputs that trail a cell's "idle" status.

    Deno's kernel (2.9) forwards what a cell prints or displays to the
    client through a queue that is drained concurrently with the request
    handler, so under load a cell's last outputs can be published after the
    "idle" status that ends the cell, where nbclient stops listening and
    drops them. Here a cell is done only once no output has arrived for
    LATE_OUTPUT_S after its idle; an output of a finished cell seen later
    still fails the run rather than go missing silently. This overrides
    nbclient's private _async_poll_output_msg (nbclient 0.11).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._finished_requests = set()

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        idle = False
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=LATE_OUTPUT_S if idle else None))
            except Empty:
                self._finished_requests.add(parent_msg_id)
                return
            parent = msg["parent_header"].get("msg_id")
            if parent != parent_msg_id:
                if parent in self._finished_requests and msg["msg_type"] in OUTPUT_TYPES:
                    raise LateOutputError(f"a {msg['msg_type']} output of an earlier cell arrived while cell {cell_index} ran")
                continue
            if msg["msg_type"] == "status":
                idle = idle or msg["content"]["execution_state"] == "idle"
                continue
            self.process_message(msg, cell, cell_index)


def outputs_of(notebook):
    """What a reader sees: each code cell's outputs and execution count."""
    return [
        (cell.get("execution_count"), cell.get("outputs"))
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


def execute(path, kernel_name):
    notebook = nbformat.read(path, as_version=4)
    executed = copy.deepcopy(notebook)
    client = DenoNotebookClient(
        executed,
        kernel_name=kernel_name,
        timeout=CELL_TIMEOUT_S,
        record_timing=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    client.execute()
    return notebook, executed


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--kernel", default="deno")
    parser.add_argument("--update", action="store_true", help="write the executed notebooks back in place")
    parser.add_argument("--out", help="directory for the executed copies (without --update)")
    args = parser.parse_args()

    failed, stale = [], []
    for path in args.notebooks:
        name = os.path.basename(path)
        print(f"notebooks: executing {name}", flush=True)
        try:
            committed, executed = execute(path, args.kernel)
        except (CellExecutionError, CellTimeoutError, LateOutputError) as error:
            print(f"notebooks: {name} failed:\n{error}", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        target = path if args.update else os.path.join(args.out, name)
        nbformat.write(executed, target)
        if not args.update and outputs_of(executed) != outputs_of(committed):
            stale.append(name)

    if args.out is not None and not stale:
        # Copies that match the committed notebooks are of no further use.
        shutil.rmtree(args.out, ignore_errors=True)
    if stale:
        print(
            f"notebooks: the committed outputs of {', '.join(stale)} differ from a fresh run "
            f"(executed copies in {args.out}); `npm run notebooks -- --update` refreshes them",
            flush=True,
        )
    if args.update:
        print(f"notebooks: {len(args.notebooks) - len(failed)} written back")
    if failed:
        print(f"notebooks: failed: {', '.join(failed)}", file=sys.stderr, flush=True)
    # The plain closing line CI reads as a test count.
    print(f"notebooks: {len(args.notebooks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
