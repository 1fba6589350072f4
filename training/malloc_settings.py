"""glibc malloc settings for training: freed tensor memory stays in the process for the next step.

A training step allocates and frees buffers of several MB (activations, gradients). By default glibc hands freed
memory at the top of its heap back to the kernel and the next step faults fresh, zeroed pages in again: on the 2-core
development machine half of training's CPU time went to the kernel, and an epoch of the demo model's training took
28-36 s instead of 14-19 s with these settings (training/README.md, "Training speed"). All three are needed: setting
any of them turns off glibc's own adjustment of the mmap threshold, and the trim and top-pad settings alone made
epochs three times slower. Peak memory grew by about 4 %.

glibc reads them only when a process starts, so train.py starts itself again with them where they are missing (in a
SageMaker job, under torchrun, or locally); a value already in the environment is kept.
"""

import os
import sys

SETTINGS = {
    # Blocks up to 32 MiB (glibc's largest mmap threshold) come from the heap, not from a fresh mapping each.
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
    # Free memory at the top of the heap is given back only above 1 GiB ...
    "MALLOC_TRIM_THRESHOLD_": str(1024 * 1024 * 1024),
    # ... and the heap grows 256 MiB at a time.
    "MALLOC_TOP_PAD_": str(256 * 1024 * 1024),
}


def restart_with_settings(argv, environ=None, execve=os.execve):
    """Starts this script again with the settings that `environ` lacks; returns only when it lacks none."""
    environ = os.environ if environ is None else environ
    missing = {name: value for name, value in SETTINGS.items() if name not in environ}
    if missing:
        execve(sys.executable, [sys.executable] + list(argv), dict(environ, **missing))
