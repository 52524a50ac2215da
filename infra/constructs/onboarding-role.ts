import { Duration, Stack } from 'aws-cdk-lib';
import { ArnPrincipal, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { CustomerAccount } from '../config/customer-accounts.ts';
import { ONBOARDING_ROLE_NAME } from '../config/function-roles.ts';
import { FUNCTION_ROLE_PATH } from './lifeboat-function.ts';

/**
 * The role people assume to check a customer's account while onboarding it (`lifeboat plan
 * validate <customer> --live`): it may assume the customers' read-only roles, and nothing else.
 * One per deployment (role names are global in an account), trusted by the tooling account, whose
 * administrators grant it to the operators; the read-only roles trust it by its fixed name.
 */
export class OnboardingRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: { customers: readonly CustomerAccount[] }) {
    super(scope, id);
    const { account } = Stack.of(this);
    this.role = new Role(this, 'Role', {
      roleName: ONBOARDING_ROLE_NAME,
      path: FUNCTION_ROLE_PATH,
      description:
        "Lifeboat onboarding: reads a customer's account through its read-only role (plan validate --live).",
      assumedBy: new ArnPrincipal(`arn:aws:iam::${account}:root`),
      maxSessionDuration: Duration.hours(1),
    });
    const arns = [...new Set(props.customers.map((c) => c.readOnlyRoleArn))];
    if (arns.length > 0)
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['sts:AssumeRole'], resources: arns }),
      );
  }
}
