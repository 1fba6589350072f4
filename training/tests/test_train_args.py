"""train.py's command line: SageMaker's hyperparameters, its extra arguments, and bad values."""

import contextlib
import io
import os
import unittest
from unittest import mock

import train
import train_args


def parse(*argv, env=None):
    with mock.patch.dict(os.environ, env or {}, clear=True):
        return train.parse_args(list(argv))


class ArgsTest(unittest.TestCase):
    def rejection(self, *argv):
        """What argparse prints when it refuses argv."""
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), mock.patch.dict(os.environ, {}, clear=True):
            with self.assertRaises(SystemExit):
                train.parse_args(list(argv))
        return stderr.getvalue()

    def test_reads_the_hyperparameters_the_pipeline_passes(self):
        args = parse(
            "--epochs", "20", "--batch-size", "8", "--image-size", "320", "--seed", "3",
            "--class-names", "scratch,dent", "--score-threshold", "0.4", env={"SM_MODEL_DIR": "/opt/ml/model"},
        )
        self.assertEqual((args.epochs, args.batch_size, args.image_size, args.seed), (20, 8, (320, 320), 3))
        self.assertEqual(parse("--model-dir", "m", "--image-size", "384x256").image_size, (384, 256))
        self.assertEqual((args.class_names, args.score_threshold), (["scratch", "dent"], 0.4))
        self.assertEqual(args.model_dir, "/opt/ml/model")

    def test_chooses_the_score_threshold_on_validation_unless_given(self):
        self.assertEqual(parse("--model-dir", "m").score_threshold, "auto")
        self.assertEqual(parse("--model-dir", "m", "--score-threshold", "auto").score_threshold, "auto")

    def test_ignores_arguments_it_does_not_know(self):
        with contextlib.redirect_stdout(io.StringIO()) as out:
            args = parse("--epochs", "2", "--sagemaker_program", "train.py", "--model-dir", "m")
        self.assertEqual(args.epochs, 2)
        self.assertIn("ignoring arguments this script does not use: --sagemaker_program train.py", out.getvalue())

    def test_accepts_underscored_names(self):
        self.assertEqual(parse("--batch_size", "4", "--model-dir", "m").batch_size, 4)

    def test_puts_the_output_data_next_to_the_model_by_default(self):
        self.assertEqual(parse("--model-dir", "runs/a/model").output_data_dir, os.path.join("runs", "a", "output"))
        env = {"SM_MODEL_DIR": "/opt/ml/model", "SM_OUTPUT_DATA_DIR": "/opt/ml/output/data"}
        self.assertEqual(parse(env=env).output_data_dir, "/opt/ml/output/data")

    def test_rejects_bad_values_naming_the_argument(self):
        size = "--image-size/--image_size: must be a multiple of 32, at least 64, or WIDTHxHEIGHT of two such (got %s)"
        cases = [
            (["--image-size", "100"], size % "100"),
            (["--image-size", "384x100"], size % "384x100"),
            (["--image-size", "384x256x3"], size % "384x256x3"),
            (["--image-size", "wide"], size % "wide"),
            (["--epochs", "0"], "--epochs: must be a positive integer (got 0)"),
            (["--epochs", "many"], "--epochs: must be a positive integer (got many)"),
            (["--score-threshold", "2"], "--score-threshold/--score_threshold: must be a number from 0 to 1 (got 2)"),
            (["--class-names", "a,,b"], "--class-names/--class_names: must be comma-separated non-empty names"),
            (["--pretrained", "imagenet"], "--pretrained: invalid choice: 'imagenet'"),
        ]
        for argv, message in cases:
            self.assertIn("argument " + message, self.rejection(*argv, "--model-dir", "m"))
        self.assertIn("--model-dir is required outside SageMaker", self.rejection("--epochs", "1"))

    def test_reads_the_model_options_and_defaults_to_the_demo_models(self):
        args = parse(
            "--model-dir", "m", "--ema-decay", "0.99", "--rotate90", "0.5", "--scale-jitter", "0.3",
            "--anchor-ratios", "2,3,5", "--anchor-scales", "0.15,0.95", "--bootstrap", "100",
        )
        self.assertEqual((args.ema_decay, args.rotate90, args.scale_jitter), (0.99, 0.5, 0.3))
        self.assertEqual((args.anchor_ratios, args.anchor_scales, args.bootstrap), ((2.0, 3.0, 5.0), (0.15, 0.95), 100))
        defaults = parse("--model-dir", "m")
        for name, value in train_args.DEFAULTS.items():
            self.assertEqual(getattr(defaults, name), value, name)

    def test_rejects_bad_model_options_naming_the_argument(self):
        cases = [
            (["--ema-decay", "1"], "--ema-decay/--ema_decay: must be from 0 (off) to below 1 (got 1)"),
            (["--rotate90", "1.5"], "--rotate90: must be a number from 0 to 1 (got 1.5)"),
            (["--anchor-ratios", "2,0.5"], "--anchor-ratios/--anchor_ratios: must be comma-separated aspect ratios"),
            (["--anchor-ratios", "x"], "--anchor-ratios/--anchor_ratios: must be comma-separated aspect ratios"),
            (["--anchor-scales", "0.9,0.2"], "--anchor-scales/--anchor_scales: must be min,max with 0 < min < max"),
            (["--anchor-scales", "0.2"], "--anchor-scales/--anchor_scales: must be min,max with 0 < min < max"),
        ]
        for argv, message in cases:
            self.assertIn("argument " + message, self.rejection(*argv, "--model-dir", "m"))

    def test_finds_splits_in_channels_or_under_data(self):
        args = parse("--model-dir", "m", "--data", "/nonexistent")
        with self.assertRaisesRegex(SystemExit, "no train split"):
            train.split_dirs(args)
        channels = {"SM_CHANNEL_TRAIN": "/c/train", "SM_CHANNEL_VALIDATION": "/c/validation"}
        with mock.patch.dict(os.environ, channels, clear=True):
            self.assertEqual(train.split_dirs(args), {"train": "/c/train", "validation": "/c/validation", "test": None})


if __name__ == "__main__":
    unittest.main()
