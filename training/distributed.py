"""Data-parallel training across processes and instances, when the launcher asks for it.

The SageMaker PyTorch container, with the hyperparameter `sagemaker_torch_distributed_enabled` (what the Python SDK's
`distribution={"torch_distributed": {"enabled": True}}` sets), starts the entry point with torchrun on every
instance; torchrun gives each process RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT. Locally,
`python3 -m torch.distributed.run --nproc_per_node 2 train.py ...` does the same. Without WORLD_SIZE (or with 1)
nothing here changes a single process's training.

Each process trains on its shard of every epoch's shuffled order; DistributedDataParallel averages the gradients, so a
step sees the whole batch of all processes. Only the main process evaluates, exports and writes the model.
"""

import math
import os


class Group:
    def __init__(self, environ=None):
        environ = os.environ if environ is None else environ
        self.world = int(environ.get("WORLD_SIZE", "1"))
        self.rank = int(environ.get("RANK", "0"))
        self.local_rank = int(environ.get("LOCAL_RANK", "0"))
        if self.world < 1 or not 0 <= self.rank < self.world:
            raise SystemExit("RANK %d and WORLD_SIZE %d do not fit together" % (self.rank, self.world))
        self.started = False

    @property
    def distributed(self):
        return self.world > 1

    @property
    def is_main(self):
        return self.rank == 0

    def start(self):
        """Joins the process group (gloo on CPU, nccl on GPUs); returns the device this process trains on."""
        import torch

        device = torch.device("cuda", self.local_rank) if torch.cuda.is_available() else torch.device("cpu")
        if self.distributed and not self.started:
            import torch.distributed as dist

            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
            self.started = True
            print("process %d of %d (%s)" % (self.rank, self.world, device), flush=True)
        return device

    def wrap(self, model):
        """The model as the training step calls it: DistributedDataParallel when distributed, else itself."""
        if not self.distributed:
            return model
        from torch.nn.parallel import DistributedDataParallel

        on_gpu = next(model.parameters()).is_cuda
        return DistributedDataParallel(model, device_ids=[self.local_rank] if on_gpu else None)

    def shard(self, order):
        """This process's share of an epoch's order (the same order in every process): every world-th item from its
        rank, padded from the start so every process takes as many steps (DDP needs each step in every process)."""
        if not self.distributed:
            return list(order)
        per_process = math.ceil(len(order) / self.world)
        padded = list(order) + list(order)[: per_process * self.world - len(order)]
        return padded[self.rank :: self.world]

    def finish(self):
        if self.started:
            import torch.distributed as dist

            dist.destroy_process_group()
            self.started = False
