#!/usr/bin/env node
// The `qi-pipeline` command: runs the TypeScript CLI through tsx, so a checkout needs no build step.
require("tsx/cjs");
require("./main.ts").main();
