"""The training loop: AdamW with a one-cycle learning rate, augmented batches, and an exponential moving average.

The average of the weights over the last few hundred steps (EMA) is what gets evaluated and exported: on a dataset
of a couple of hundred images the last step's weights wander with the last batches; their average does not.
"""

import copy
import time

import torch

# Gradient norm clip: from-scratch detectors see large gradients in the first steps.
MAX_GRADIENT_NORM = 10.0
WARMUP_FRACTION = 0.15


class WeightAverage:
    """EMA of a model's parameters (buffers, such as BatchNorm's statistics, are copied): decay d per step, ramped
    up from 0 over the first steps so early, random weights fade quickly."""

    def __init__(self, model, decay):
        self.decay = decay
        self.steps = 0
        self.model = copy.deepcopy(model).eval()
        for parameter in self.model.parameters():
            parameter.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        self.steps += 1
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        for average, current in zip(self.model.parameters(), model.parameters()):
            average.mul_(decay).add_(current.detach(), alpha=1 - decay)
        for average, current in zip(self.model.buffers(), model.buffers()):
            average.copy_(current)


def fit(model, steps_per_epoch, batches_of_epoch, args, device, on_epoch, wrap=None):
    """Trains `model` for args.epochs; returns (the model to evaluate, the last epoch's mean loss, seconds).

    batches_of_epoch(epoch) yields steps_per_epoch lists of (image tensor, target); on_epoch(epoch, model) runs after
    each epoch (for interim validation) with the model that would be evaluated then. wrap(model) is what the training
    step calls (DistributedDataParallel across processes, distributed.py); it shares the model's parameters.
    """
    trained = wrap(model) if wrap else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=args.learning_rate,
        total_steps=args.epochs * steps_per_epoch,
        pct_start=WARMUP_FRACTION,
    )
    average = WeightAverage(model, args.ema_decay) if args.ema_decay > 0 else None
    train_loss = float("nan")
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        epoch_started = time.time()
        trained.train()
        losses = []
        for batch in batches_of_epoch(epoch):
            images = [image.to(device) for image, _ in batch]
            targets = [{k: v.to(device) for k, v in target.items()} for _, target in batch]
            loss = sum(trained(images, targets).values())
            if not torch.isfinite(loss):
                raise SystemExit("training diverged at epoch %d (loss %s); lower --learning-rate" % (epoch, loss))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRADIENT_NORM)
            optimizer.step()
            schedule.step()
            if average:
                average.update(model)
            losses.append(loss.item())
        train_loss = sum(losses) / len(losses)
        print(
            "epoch %d/%d: loss %.4f, lr %.5f, %.1f s"
            % (epoch, args.epochs, train_loss, schedule.get_last_lr()[0], time.time() - epoch_started),
            flush=True,
        )
        print("metric: train_loss=%.6f" % train_loss, flush=True)
        on_epoch(epoch, average.model if average else model)
    return (average.model if average else model), train_loss, time.time() - started
