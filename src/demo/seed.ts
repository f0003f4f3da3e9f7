/**
 * The built-in demo world, on a local moto server: a hosted zone example.com whose app
 * record points at the primary, and a standby. Idempotent: seeding twice changes nothing.
 */
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListHostedZonesByNameCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';

export interface DemoWorld {
  zoneId: string;
}

export const DEMO_ZONE = 'example.com';

/** Seed (or reset) the demo zone; tests pass their own zone name to stay independent. */
export async function seedDemo(endpoint: string, zone = DEMO_ZONE): Promise<DemoWorld> {
  const r53 = new Route53Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' } });
  try {
    const found = await r53.send(new ListHostedZonesByNameCommand({ DNSName: `${zone}.`, MaxItems: 1 }));
    const existing = found.HostedZones?.find((z) => z.Name === `${zone}.`);
    const zoneId = (existing?.Id ??
      (await r53.send(new CreateHostedZoneCommand({ Name: `${zone}.`, CallerReference: `lifeboat-demo-${Date.now()}` }))).HostedZone?.Id ??
      '').replace('/hostedzone/', '');
    const upsert = (Name: string, Type: 'A' | 'CNAME', value: string, TTL: number) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: { Name, Type, TTL, ResourceRecords: [{ Value: value }] },
    });
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: 'lifeboat demo seed',
          Changes: [
            upsert(`primary.${zone}.`, 'A', '192.0.2.10', 300),
            upsert(`standby.${zone}.`, 'A', '198.51.100.20', 300),
            upsert(`app.${zone}.`, 'CNAME', `primary.${zone}`, 300),
          ],
        },
      }),
    );
    return { zoneId };
  } finally {
    r53.destroy();
  }
}
