import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, NotFoundError } from '../domain/errors.ts';
import { type Incident, IncidentSchema } from '../domain/incident.ts';
import type { Region } from '../domain/regions.ts';
import type { IncidentStore } from '../ports/incident.ts';

const incidentKey = (incidentId: string) => ({ pk: `INCIDENT#${incidentId}`, sk: 'META' });
/** The region's index of incidents, oldest first by sort key. */
const regionKey = (incident: Pick<Incident, 'region' | 'createdAt' | 'incidentId'>) => ({
  pk: `REGION#${incident.region}`,
  sk: `INCIDENT#${String(incident.createdAt).padStart(15, '0')}#${incident.incidentId}`,
});

/**
 * Incidents in the state table: `INCIDENT#<id>`/`META` holds the record in `doc` beside a
 * `version` every write compares and increments (the coordinator, an abort and the approval
 * may write at once); `REGION#<region>` lists each region's incidents for `/dr status region`.
 */
export class DynamoDbIncidentStore implements IncidentStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async createIncident(incident: Incident): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...incidentKey(incident.incidentId), doc: incident, version: 1 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConcurrentUpdateError(`Incident ${incident.incidentId}`);
      throw error;
    }
    await this.documents.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...regionKey(incident), doc: { incidentId: incident.incidentId } },
      }),
    );
  }

  async getIncident(incidentId: string): Promise<{ incident: Incident; version: number }> {
    const out = await this.documents.send(
      new GetCommand({ TableName: this.table, Key: incidentKey(incidentId), ConsistentRead: true }),
    );
    if (!out.Item)
      throw new NotFoundError(
        `Incident "${incidentId}"`,
        'copy the incident id from its card, or use /dr status region <region>.',
      );
    return { incident: IncidentSchema.parse(out.Item.doc), version: Number(out.Item.version) };
  }

  async saveIncident(incident: Incident, version: number): Promise<number> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...incidentKey(incident.incidentId), doc: incident, version: version + 1 },
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': version },
        }),
      );
      return version + 1;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConcurrentUpdateError(`Incident ${incident.incidentId}`);
      throw error;
    }
  }

  async listIncidents(region: Region, limit: number): Promise<Incident[]> {
    const out = await this.documents.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `REGION#${region}`, ':prefix': 'INCIDENT#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    const ids = (out.Items ?? []).map((item) => String(item.doc.incidentId));
    return Promise.all(ids.map(async (id) => (await this.getIncident(id)).incident));
  }
}
