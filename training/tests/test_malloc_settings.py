"""train.py restarts itself with glibc's malloc settings, once, keeping any the caller chose."""

import os
import subprocess
import sys
import tempfile
import unittest

import malloc_settings

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class RestartTest(unittest.TestCase):
    def test_starts_again_with_the_missing_settings_and_keeps_the_callers(self):
        calls = []
        environ = {"PATH": "/bin", "MALLOC_TOP_PAD_": "4096"}
        malloc_settings.restart_with_settings(["train.py", "--epochs", "2"], environ, lambda *a: calls.append(a))
        (executable, argv, env), = calls
        self.assertEqual(argv, [executable, "train.py", "--epochs", "2"])
        self.assertEqual(env["MALLOC_TOP_PAD_"], "4096")
        self.assertEqual(env["MALLOC_MMAP_THRESHOLD_"], str(32 * 1024 * 1024))
        self.assertEqual(env["PATH"], "/bin")

    def test_does_nothing_when_every_setting_is_there(self):
        def refuse(*_):
            raise AssertionError("must not start again")

        malloc_settings.restart_with_settings(["train.py"], dict(malloc_settings.SETTINGS), refuse)

    def test_a_script_runs_once_more_and_only_once_with_the_settings(self):
        with tempfile.TemporaryDirectory() as folder:
            script = os.path.join(folder, "probe.py")
            with open(script, "w") as f:
                f.write(
                    "import os, sys\n"
                    "sys.path.insert(0, %r)\n"
                    "import malloc_settings\n"
                    "print('started', flush=True)\n"
                    "malloc_settings.restart_with_settings(sys.argv)\n"
                    "print(os.environ['MALLOC_MMAP_THRESHOLD_'], sys.argv[1:])\n" % TRAINING
                )
            env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
            out = subprocess.run([sys.executable, script, "--epochs", "2"], env=env, capture_output=True, text=True)
        self.assertEqual(out.stdout.splitlines(), ["started", "started", "33554432 ['--epochs', '2']"])


if __name__ == "__main__":
    unittest.main()
