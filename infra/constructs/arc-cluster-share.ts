import { CfnResourceShare } from 'aws-cdk-lib/aws-ram';
import { Construct } from 'constructs';
import { InvalidPropsError } from '../errors.ts';

export interface ArcClusterShareProps {
  /** The ARC cluster to share. */
  clusterArn: string;
  /** The workload accounts that get the cluster: their health checks follow its routing controls. */
  accountIds: readonly string[];
  /** @default 'lifeboat-arc-cluster' */
  shareName?: string;
}

/**
 * Shares the ARC cluster with the customers' workload accounts through AWS RAM, so the
 * RECOVERY_CONTROL health checks in their accounts (beside their hosted zones) can follow the
 * routing controls hosted in it. Customers' accounts are often outside our AWS Organization,
 * so the share allows external principals; it names each account, never an organization.
 */
export class ArcClusterShare extends Construct {
  readonly share: CfnResourceShare;

  constructor(scope: Construct, id: string, props: ArcClusterShareProps) {
    super(scope, id);
    for (const account of props.accountIds) {
      if (!/^\d{12}$/.test(account))
        throw new InvalidPropsError(
          'ArcClusterShare',
          `accountIds has "${account}", not a 12-digit account id.`,
        );
    }
    this.share = new CfnResourceShare(this, 'Share', {
      name: props.shareName ?? 'lifeboat-arc-cluster',
      resourceArns: [props.clusterArn],
      principals: [...new Set(props.accountIds)].sort(),
      allowExternalPrincipals: true,
    });
  }
}
