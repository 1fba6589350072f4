"""The weight average: what it keeps after a few steps, and that it copies BatchNorm's statistics."""

import unittest

try:
    import torch

    from fit import WeightAverage
except ImportError:  # python3-torchvision is not installed
    torch = None


@unittest.skipIf(torch is None, "torch is not importable (apt-get install python3-torchvision)")
class WeightAverageTest(unittest.TestCase):
    def test_averages_parameters_with_a_decay_that_ramps_up_and_copies_buffers(self):
        model = torch.nn.Sequential(torch.nn.Linear(1, 1, bias=False), torch.nn.BatchNorm1d(1))
        with torch.no_grad():
            model[0].weight.fill_(0.0)
        average = WeightAverage(model, decay=0.9)
        expected = 0.0
        for step in range(1, 30):
            with torch.no_grad():
                model[0].weight.fill_(float(step))
                model[1].running_mean.fill_(float(step))
            average.update(model)
            decay = min(0.9, (1 + step) / (10 + step))
            expected = decay * expected + (1 - decay) * step
        self.assertAlmostEqual(average.model[0].weight.item(), expected, places=4)
        self.assertEqual(average.model[1].running_mean.item(), 29.0)
        self.assertFalse(average.model[0].weight.requires_grad)
        self.assertFalse(average.model.training)


if __name__ == "__main__":
    unittest.main()
