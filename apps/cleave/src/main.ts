import { existsSync } from 'node:fs';
import { cleaveDeployment } from './deployment';
import { runCleave } from './run-cleave';

if (existsSync('.env')) process.loadEnvFile('.env');
await runCleave(cleaveDeployment);
