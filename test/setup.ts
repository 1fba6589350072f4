// The product's polyfill for aws-local-stepfunctions on Node 20, loaded before any test.
import "../offline/promisePolyfill";
