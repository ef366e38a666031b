#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so users need no separate build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../host/cli.ts');
process.exitCode = await main(process.argv.slice(2));
