// Loaded before any test: say which Node runs them (the one npm ci brought along, contracts/runtime.ts).
import { runtimeDescription } from "../lib/runtime";

process.stdout.write(`runtime: ${runtimeDescription()}\n`);
