"""A report notebook's kernel, forked from the run's warm worker when there is one.

``python -m servqual.warm_kernel -f CONNECTION_FILE`` does what ``python -m ipykernel_launcher``
does (the command of the ``python3`` kernel), after handing itself to the worker
(:func:`servqual.warm_worker.hand_over`): the kernel then starts with ipykernel, the notebooks'
libraries and the report module already imported, instead of importing them in a new
interpreter (0.5 to 1 s per report). :class:`servqual.notebook_run.QuietKernel` starts kernels
this way; it stops a kernel with SIGKILL, and the worker then kills the child that was its kernel.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    # As ipykernel_launcher: the working folder leaves the module path while ipykernel loads
    # (its shell puts it back), so that a file there cannot stand in for a module.
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():
        del sys.path[0]
    from servqual.warm_worker import hand_over

    hand_over()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
