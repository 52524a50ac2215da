import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { readCustomerAccounts } from './config/customer-accounts.ts';
import { deployedRegions, readDeployConfig } from './config/deploy-config.ts';
import { REPO_ROOT } from './constructs/lifeboat-function.ts';
import { composeLifeboat } from './lifeboat-app.ts';

/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy --all`): the deployment described by
 * `config/deploy.yaml` (or `-c config=<file>`) for the customers in `config/customers/`.
 */
const app = new App();
const configFile = resolve(
  String(app.node.tryGetContext('config') ?? join(REPO_ROOT, 'config', 'deploy.yaml')),
);
const config = readDeployConfig(configFile);
const customers = readCustomerAccounts(
  join(REPO_ROOT, 'config', 'customers'),
  deployedRegions(config),
);
composeLifeboat(app, config, customers);
app.synth();
