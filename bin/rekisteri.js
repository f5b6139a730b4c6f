#!/usr/bin/env node
// Entry point of the `rekisteri` command. The sources are TypeScript, loaded through tsx so that a
// clone runs with `npm install` alone, without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
