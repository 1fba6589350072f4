"""Data-parallel training (distributed.py): the shards, the environment, and two real processes whose averaged
gradient is the one-process gradient of the whole batch."""

import os
import socket
import tempfile
import unittest

from distributed import Group

try:
    import torch
    import torch.multiprocessing as mp
except ImportError:  # python3-torchvision is not installed
    torch = None


class ShardTest(unittest.TestCase):
    def test_one_process_keeps_the_order(self):
        self.assertEqual(Group({}).shard([3, 1, 2]), [3, 1, 2])
        self.assertFalse(Group({"WORLD_SIZE": "1"}).distributed)

    def test_processes_share_every_item_and_take_as_many_steps(self):
        order = list(range(7))
        shards = [Group({"WORLD_SIZE": "3", "RANK": str(r)}).shard(order) for r in range(3)]
        self.assertEqual([len(s) for s in shards], [3, 3, 3])
        self.assertEqual(sorted(set(sum(shards, []))), order)
        self.assertEqual(shards[0], [0, 3, 6])

    def test_refuses_a_rank_outside_the_world(self):
        with self.assertRaises(SystemExit) as raised:
            Group({"WORLD_SIZE": "2", "RANK": "2"})
        self.assertIn("RANK 2 and WORLD_SIZE 2", str(raised.exception))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def data():
    torch.manual_seed(0)
    return torch.randn(8, 3), torch.randn(8, 1)


def model():
    torch.manual_seed(1)
    return torch.nn.Linear(3, 1)


def gradient_of_shard(rank, world, port, out_dir):
    os.environ.update(
        {"RANK": str(rank), "WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
    )
    group = Group()
    group.start()
    net = model()
    trained = group.wrap(net)
    inputs, targets = data()
    mine = group.shard(list(range(len(inputs))))
    loss = torch.nn.functional.mse_loss(trained(inputs[mine]), targets[mine])
    loss.backward()
    torch.save(net.weight.grad, os.path.join(out_dir, "grad-%d.pt" % rank))
    group.finish()


@unittest.skipIf(torch is None, "torch is not importable (apt-get install python3-torchvision)")
class TwoProcessesTest(unittest.TestCase):
    def test_the_averaged_gradient_of_two_processes_is_the_whole_batch_gradient(self):
        with tempfile.TemporaryDirectory() as out_dir:
            mp.spawn(gradient_of_shard, args=(2, free_port(), out_dir), nprocs=2, join=True)
            grads = [torch.load(os.path.join(out_dir, "grad-%d.pt" % r)) for r in range(2)]
        inputs, targets = data()
        net = model()
        torch.nn.functional.mse_loss(net(inputs), targets).backward()
        for grad in grads:
            self.assertTrue(torch.allclose(grad, net.weight.grad, atol=1e-6), (grad, net.weight.grad))


if __name__ == "__main__":
    unittest.main()
